"""The admin log-in is throttled (django-axes): 5 failures for one user from one address lock that pair out
for 15 minutes, the right password included; log-ins and lock-outs are logged."""

import datetime
import logging

import pytest
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.contrib.auth.models import User
from django.test import RequestFactory
from django.urls import reverse

from episodes.access import client_ip

pytestmark = pytest.mark.django_db

PASSWORD = "the-right-password-42"


@pytest.fixture
def owner(db):
    return User.objects.create_superuser("owner", "owner@example.org", PASSWORD)


def log_in(client, password, username="owner", address="203.0.113.5", **headers):
    return client.post(
        reverse("admin:login"), {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )


def logged_in(client):
    return "_auth_user_id" in client.session


def fail(client, times, **kwargs):
    return [log_in(client, "wrong", **kwargs).status_code for _ in range(times)]


def test_the_settings_are_the_promised_ones():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert datetime.timedelta(minutes=15) == settings.AXES_COOLOFF_TIME
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"


def test_five_failures_lock_the_user_out_even_with_the_right_password(client, owner):
    assert fail(client, 4) == [200] * 4  # the log-in form again, with its error
    assert log_in(client, "wrong").status_code == 429  # the fifth: locked out from here on

    response = log_in(client, PASSWORD)

    assert response.status_code == 429
    assert not logged_in(client)
    html = " ".join(response.content.decode().split())
    assert "Too many failed log-ins" in html
    assert "After 5 failed attempts for “owner” from this address, log-ins are refused for 15 minutes" in html


def test_four_failures_then_the_right_password_logs_in_and_forgets_the_failures(client, owner):
    fail(client, 4)
    assert log_in(client, PASSWORD).status_code == 302
    assert logged_in(client)
    client.logout()
    fail(client, 4)  # counted afresh: still not locked out
    assert log_in(client, PASSWORD).status_code == 302


def test_the_lock_is_for_that_user_from_that_address_only(client, owner):
    User.objects.create_user("editor", password=PASSWORD, is_staff=True)
    fail(client, 5)

    assert log_in(client, PASSWORD, address="198.51.100.7").status_code == 302  # same user, elsewhere
    client.logout()
    assert log_in(client, PASSWORD, username="editor").status_code == 302  # someone else, same address


def test_after_the_cool_off_the_right_password_works_again(client, owner):
    fail(client, 5)
    # Time travel: the failures happened 14 minutes ago, then 16.
    AccessAttempt.objects.update(attempt_time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=14))
    assert log_in(client, PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=16))

    assert log_in(client, PASSWORD).status_code == 302
    assert logged_in(client)


def test_tries_during_the_lock_do_not_extend_it(client, owner):
    fail(client, 5)
    AccessAttempt.objects.update(attempt_time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=10))
    fail(client, 3)  # refused, but the 15 minutes still count from the fifth failure
    AccessAttempt.objects.update(
        attempt_time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=15, seconds=5)
    )
    assert log_in(client, PASSWORD).status_code == 302


def test_the_owner_can_lift_a_lock_out(client, owner):
    from axes.utils import reset

    fail(client, 5)
    reset(username="owner")
    assert log_in(client, PASSWORD).status_code == 302


def test_log_ins_and_lock_outs_are_logged(client, owner, caplog):
    caplog.set_level(logging.INFO, logger="axes")

    log_in(client, PASSWORD)
    client.logout()
    fail(client, 5)

    messages = [(record.levelno, record.getMessage()) for record in caplog.records if record.name.startswith("axes")]
    assert any(
        level == logging.INFO and 'Successful login by {username: "owner", ip_address: "203.0.113.5"' in message
        for level, message in messages
    )
    assert any(
        level == logging.WARNING
        and 'Locking out {username: "owner", ip_address: "203.0.113.5"' in message
        and "after repeated login failures" in message
        for level, message in messages
    )
    (access,) = AccessLog.objects.all()
    assert (access.username, access.ip_address) == ("owner", "203.0.113.5")
    assert AccessAttempt.objects.get().failures_since_start == 5


def test_the_axes_logger_is_configured_to_show_info(settings):
    assert settings.LOGGING["loggers"]["axes"]["level"] == "INFO"


def test_a_forged_forwarded_for_header_does_not_dodge_the_lock(client, owner):
    # Without a proxy in front, X-Forwarded-For is whatever the client wrote.
    for number in range(5):
        log_in(client, "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{number}")
    assert log_in(client, PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 429


def test_behind_a_proxy_the_forwarded_address_is_the_clients(client, owner, settings):
    settings.PODCAST_PROXY_COUNT = 1
    fail(client, 5, address="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert log_in(client, PASSWORD, address="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    # Another client through the same proxy is not locked out.
    assert log_in(client, PASSWORD, address="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 302


@pytest.mark.parametrize(
    ("count", "remote", "forwarded", "expected"),
    [
        (0, "203.0.113.5", "1.2.3.4", "203.0.113.5"),  # no proxy: the header is ignored
        (1, "10.0.0.1", "203.0.113.5", "203.0.113.5"),
        (1, "10.0.0.1", "6.6.6.6, 203.0.113.5", "203.0.113.5"),  # the client's own prefix is not trusted
        (2, "10.0.0.2", "6.6.6.6, 203.0.113.5, 10.0.0.1", "203.0.113.5"),
        (2, "10.0.0.2", "203.0.113.5", "10.0.0.2"),  # fewer hops than proxies: not through them all
        (1, "10.0.0.1", "", "10.0.0.1"),
        (1, "10.0.0.1", "not-an-address", "10.0.0.1"),
        (1, "10.0.0.1", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip(settings, count, remote, forwarded, expected):
    settings.PODCAST_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_force_login_in_tests_is_not_throttled(client, owner):
    fail(client, 5)
    client.force_login(owner)
    assert client.get(reverse("admin:index")).status_code == 200
