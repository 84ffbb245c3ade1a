from django.core.management.base import BaseCommand, CommandError

from episodes import accounts


class Command(BaseCommand):
    help = (
        "Create an editor: a staff account in the Editors group (episodes, transcripts, guests, topics; "
        "no users or groups), and print a one-time link where they choose their password."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument(
            "--site-url",
            help="the site's address for the link, e.g. https://podcast.example.org "
            "(default: the first of DJANGO_ALLOWED_HOSTS, or the development server with DJANGO_DEBUG=1)",
        )
        parser.add_argument(
            "--new-link", action="store_true", help="only print a new set-password link for an existing user"
        )

    def handle(self, *args, username, email, first_name, last_name, site_url, new_link, **options):
        site_url = (site_url or accounts.default_site_url()).rstrip("/")
        if not site_url:
            raise CommandError("give --site-url (the address editors open the site at)")
        try:
            if new_link:
                user = accounts.existing_user(username)
            else:
                user = accounts.create_editor(username, email, first_name, last_name)
                self.stdout.write(f"Created editor “{user.get_username()}” (staff, in the Editors group).")
        except accounts.AccountError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(
            f"Send them this link to choose a password (works once, for {accounts.link_lifetime()}):\n"
            f"{site_url}{accounts.set_password_path(user)}"
        )
