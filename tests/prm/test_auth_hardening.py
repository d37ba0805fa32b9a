"""Password guessing: the lockout on every sign-in route (django-axes through
prm/brute_force.py), the throttled password reset, and the API rate limits
(prm/api/throttling.py)."""

import logging
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth import SESSION_KEY, authenticate
from django.core import mail
from django.core.cache import cache
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from prm.tasks import login_logs_prune_task
from tests.partners.factories import ContactFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
LOGIN = reverse("login")
ADMIN_LOGIN = reverse("admin:login")
TOKEN = reverse("api-token")
RESET = reverse("password_reset")


@pytest.fixture(autouse=True)
def _fresh_rate_counters():
    """Rate counters live in the process-wide test cache; each test starts from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def limit(settings) -> int:
    return settings.AXES_FAILURE_LIMIT


@pytest.fixture
def staff(db):
    return UserFactory(username="ana", is_staff=True, is_superuser=True)


def post_login(client, route: str, username: str, password: str, **extra):
    """One sign-in attempt on a route: the sign-in page, the admin's or the API token."""
    if route == TOKEN:
        return APIClient().post(TOKEN, {"username": username, "password": password}, **extra)
    return client.post(route, {"username": username, "password": password}, **extra)


def fail(client, route: str, times: int, username: str = "ana", **extra) -> list[int]:
    return [
        post_login(client, route, username, "wrong-password", **extra).status_code
        for _ in range(times)
    ]


def signed_in(client, route, response) -> bool:
    if route == TOKEN:
        return response.status_code == 200 and "token" in response.json()
    return response.status_code == 302 and SESSION_KEY in client.session


def assert_lockout_response(route: str, response, settings) -> None:
    assert response.status_code == 429
    assert response["Retry-After"] == str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    if route == TOKEN:
        body = response.json()
        assert body["detail"].startswith("Account locked: too many login attempts.")
        assert "token" not in body
    else:
        page = response.content.decode()
        assert 'class="auth-page"' in page  # the app's sign-in look (base_app.html)
        assert "Too many attempts" in page
        minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
        assert f"wait about {minutes} minutes" in page


ROUTES = [LOGIN, ADMIN_LOGIN, TOKEN]
ROUTE_IDS = ["sign-in page", "admin", "api token"]


# ---------------------------------------------------------------------------------------
# Lockout on every sign-in route
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_the_limit_of_wrong_passwords_locks_the_route(client, staff, limit, settings, route):
    # given limit - 1 wrong passwords, each refused as a wrong password
    refused = 200 if route != TOKEN else 400
    assert fail(client, route, limit - 1) == [refused] * (limit - 1)

    # when the next one is wrong too
    response = post_login(client, route, "ana", "wrong-password")

    # then the route answers the lockout
    assert_lockout_response(route, response, settings)


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_the_right_password_is_refused_while_locked(client, staff, limit, settings, route):
    fail(client, route, limit)

    response = post_login(client, route, "ana", PASSWORD)

    assert_lockout_response(route, response, settings)
    assert not signed_in(client, route, response)
    assert SESSION_KEY not in client.session
    assert not AuthToken.objects.filter(user=staff).exists()


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_the_attempts_are_recorded_and_logged(client, staff, limit, settings, route, caplog):
    with caplog.at_level(logging.WARNING):
        fail(client, route, limit)

    attempt = AccessAttempt.objects.get(username="ana")
    assert attempt.failures_since_start == limit
    assert attempt.ip_address == "127.0.0.1"
    assert attempt.path_info == route
    assert "wrong-password" not in attempt.post_data  # the password is masked
    failures = AccessFailureLog.objects.filter(username="ana", path_info=route)
    assert failures.count() == limit
    assert failures.filter(locked_out=True).count() == 1
    lockout_lines = [r.getMessage() for r in caplog.records if r.name == "prm.brute_force"]
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    assert lockout_lines == [
        f"Sign-in locked out for {minutes} minutes: username='ana' address=127.0.0.1 path={route}"
    ]


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_the_lockout_ends_after_the_cool_off(client, staff, limit, settings, route):
    # given a lockout
    fail(client, route, limit)
    # when the cool-off has passed since the last attempt
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )
    # then the right password signs in again
    response = post_login(client, route, "ana", PASSWORD)
    assert signed_in(client, route, response), response.status_code


def test_an_attempt_during_the_lockout_starts_the_cool_off_again(client, staff, limit, settings):
    # given a lockout with one minute left
    fail(client, LOGIN, limit)
    almost_over = timezone.now() - settings.AXES_COOLOFF_TIME + timedelta(minutes=1)
    AccessAttempt.objects.update(attempt_time=almost_over)
    # when another wrong password comes, then two minutes pass
    assert post_login(client, LOGIN, "ana", "wrong-password").status_code == 429
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=2))
    # then the first lockout would be over, the restarted one is not
    assert post_login(client, LOGIN, "ana", PASSWORD).status_code == 429


def test_a_lockout_holds_on_every_route_for_the_same_username_and_address(client, staff, limit):
    fail(client, TOKEN, limit)

    assert post_login(client, LOGIN, "ana", PASSWORD).status_code == 429
    assert post_login(client, ADMIN_LOGIN, "ana", PASSWORD).status_code == 429


def test_the_lockout_is_per_username_and_address(client, staff, limit):
    UserFactory(username="ben")
    fail(client, LOGIN, limit)

    # the same user from another address
    other_address = post_login(client, LOGIN, "ana", PASSWORD, REMOTE_ADDR="203.0.113.9")
    assert other_address.status_code == 302
    client.logout()
    # another user from the same address
    assert post_login(client, LOGIN, "ben", PASSWORD).status_code == 302


def test_a_forged_forwarded_for_header_does_not_escape_the_lockout(client, staff, limit):
    # Without trusted proxies the header is ignored: every attempt counts for REMOTE_ADDR.
    for number in range(limit):
        post_login(client, LOGIN, "ana", "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{number}")

    response = post_login(client, LOGIN, "ana", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.99")

    assert response.status_code == 429


def test_the_forwarded_for_address_counts_behind_a_trusted_proxy(client, staff, limit, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    fail(client, LOGIN, limit, HTTP_X_FORWARDED_FOR="198.51.100.1")

    assert AccessAttempt.objects.get().ip_address == "198.51.100.1"
    other_client = post_login(client, LOGIN, "ana", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert other_client.status_code == 302


def test_a_successful_sign_in_resets_the_count(client, staff, limit):
    fail(client, LOGIN, limit - 1)
    assert post_login(client, LOGIN, "ana", PASSWORD).status_code == 302
    client.logout()

    assert fail(client, LOGIN, limit - 1) == [200] * (limit - 1)
    assert post_login(client, LOGIN, "ana", PASSWORD).status_code == 302
    assert AccessLog.objects.filter(username="ana").count() == 2


def test_a_partner_user_is_locked_out_on_the_sign_in_page(client, limit):
    ContactFactory(user=UserFactory(username="pat"))
    fail(client, LOGIN, limit, username="pat")

    assert post_login(client, LOGIN, "pat", PASSWORD).status_code == 429


def test_the_sign_in_page_still_shows_while_locked(client, staff, limit):
    fail(client, LOGIN, limit)

    assert client.get(LOGIN).status_code == 200


def test_a_password_check_outside_any_request_is_not_locked(client, staff, limit):
    # A shell or a command checks a password without a request: nothing to lock out.
    fail(client, LOGIN, limit)

    assert authenticate(username="ana", password=PASSWORD) == staff


# ---------------------------------------------------------------------------------------
# Password reset: throttled, not locked
# ---------------------------------------------------------------------------------------


def with_rates(settings, **rates) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates},
    }


def test_reset_requests_for_one_email_are_throttled(client, settings):
    UserFactory(username="ada", email="ada@acme.example")
    with_rates(settings, **{"password-reset-email": "2/hour"})

    statuses = [
        client.post(RESET, {"email": email}, REMOTE_ADDR=address).status_code
        for email, address in [
            ("ada@acme.example", "203.0.113.1"),
            ("ADA@acme.example", "203.0.113.2"),
            (" ada@acme.example", "203.0.113.3"),
        ]
    ]

    assert statuses == [302, 302, 429]
    assert len(mail.outbox) == 2


def test_reset_requests_from_one_address_are_throttled(client, settings):
    with_rates(settings, **{"password-reset": "2/hour"})

    responses = [client.post(RESET, {"email": f"x{n}@example.com"}) for n in range(3)]

    assert [r.status_code for r in responses] == [302, 302, 429]
    throttled = responses[-1]
    assert 3500 <= int(throttled["Retry-After"]) <= 3600
    page = throttled.content.decode()
    assert 'class="auth-page"' in page
    assert "Too many password reset requests" in page


def test_the_reset_form_is_never_locked_by_failed_sign_ins(client, staff, limit):
    staff.email = "ana@acme.example"
    staff.save()
    fail(client, LOGIN, limit)

    assert client.post(RESET, {"email": "ana@acme.example"}).status_code == 302
    assert len(mail.outbox) == 1


# ---------------------------------------------------------------------------------------
# API rate limits
# ---------------------------------------------------------------------------------------


def test_the_default_rates_are_set_for_every_scope():
    rates = api_settings.DEFAULT_THROTTLE_RATES
    assert set(rates) >= {
        "anon",
        "user",
        "api-token",
        "password-reset",
        "password-reset-email",
        "partner-application",
    }


def test_a_user_over_the_rate_is_answered_429_with_retry_after(manager_client, settings):
    with_rates(settings, user="3/minute")

    statuses = [manager_client.get("/api/partners/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    response = manager_client.get("/api/partners/")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "throttled" in response.json()["detail"].lower()


def test_the_rate_is_per_user(manager_client, partner_client, settings):
    with_rates(settings, user="2/minute")
    for _ in range(2):
        manager_client.get("/api/partners/")

    assert manager_client.get("/api/partners/").status_code == 429
    assert partner_client.get("/api/auth/tokens/").status_code == 200


def test_anonymous_callers_are_throttled_by_address(settings):
    with_rates(settings, anon="2/minute")
    client = APIClient()

    statuses = [client.get(reverse("api-docs")).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_the_token_endpoint_is_throttled_by_address_whatever_the_username(settings):
    with_rates(settings, **{"api-token": "3/minute"})
    client = APIClient()

    statuses = [
        client.post(TOKEN, {"username": f"user{n}", "password": "x"}).status_code for n in range(4)
    ]

    assert statuses == [400, 400, 400, 429]
    assert int(client.post(TOKEN, {"username": "z", "password": "x"})["Retry-After"]) >= 1


def test_sign_in_records_past_the_retention_are_pruned_by_the_nightly_task(settings):
    # given: records of sign-ins a year ago and yesterday (attempt_time is set on create)
    settings.PRM_LOGIN_LOG_RETENTION_DAYS = 90
    old, recent = timezone.now() - timedelta(days=366), timezone.now() - timedelta(days=1)
    for when in (old, recent):
        access = AccessLog.objects.create(username="ana", ip_address="10.0.0.1")
        failure = AccessFailureLog.objects.create(
            username="ana", ip_address="10.0.0.1", locked_out=False
        )
        AccessLog.objects.filter(pk=access.pk).update(attempt_time=when)
        AccessFailureLog.objects.filter(pk=failure.pk).update(attempt_time=when)
    # when
    result = login_logs_prune_task.apply().get()
    # then
    assert result == {"access_logs": 1, "failure_logs": 1}
    assert list(AccessLog.objects.values_list("attempt_time", flat=True)) == [recent]
    assert list(AccessFailureLog.objects.values_list("attempt_time", flat=True)) == [recent]
    schedule = settings.CELERY_BEAT_SCHEDULE["prm-login-logs-prune"]
    assert schedule["task"] == "prm.tasks.login_logs_prune_task"
