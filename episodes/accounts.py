"""Editor accounts: created by the owner with a one-time link to choose a password.

``createsuperuser`` is for the site's owner. Editors get a staff account in
the Editors group (see migration 0004) with no usable password, and a link
to the set-password page; the link works once and expires after
PASSWORD_RESET_TIMEOUT (three days by default).
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .access import EDITORS_GROUP


class AccountError(Exception):
    """Why an editor account cannot be created; the message says what to do."""


def create_editor(username, email="", first_name="", last_name=""):
    """A new active staff user in the Editors group, without a usable password."""
    User = get_user_model()
    try:
        group = Group.objects.get(name=EDITORS_GROUP)
    except Group.DoesNotExist:
        raise AccountError(f"there is no “{EDITORS_GROUP}” group; run manage.py migrate first") from None
    if User._default_manager.filter(**{User.USERNAME_FIELD: username}).exists():
        raise AccountError(f"a user named “{username}” already exists (use --new-link to send them a new link)")
    user = User(username=username, email=email, first_name=first_name, last_name=last_name, is_staff=True)
    user.set_unusable_password()
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as e:
        raise AccountError("; ".join(f"{field}: {' '.join(errors)}" for field, errors in e.message_dict.items())) from e
    with transaction.atomic():
        user.save()
        user.groups.add(group)
    return user


def existing_user(username):
    User = get_user_model()
    try:
        return User._default_manager.get(**{User.USERNAME_FIELD: username})
    except User.DoesNotExist:
        raise AccountError(f"there is no user named “{username}”") from None


def set_password_path(user):
    """The path of the one-time page where ``user`` chooses a password."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("set_password", args=[uid, default_token_generator.make_token(user)])


def default_site_url():
    """The site's address when none is given: the first allowed host, or the development server's."""
    hosts = [host.lstrip(".") for host in settings.ALLOWED_HOSTS if host not in ("*", "")]
    if settings.DEBUG or not hosts:
        return "http://127.0.0.1:8000" if settings.DEBUG else ""
    return f"https://{hosts[0]}"


def link_lifetime():
    days, rest = divmod(settings.PASSWORD_RESET_TIMEOUT, 86400)
    return f"{days} day{'s' if days != 1 else ''}" if not rest else f"{settings.PASSWORD_RESET_TIMEOUT // 3600} hours"
