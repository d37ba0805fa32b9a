"""Defence against password guessing on the sign-in routes.

django-axes counts failed sign-ins per username and address (AXES_* settings) on every route
that signs in through `django.contrib.auth.authenticate` with the request: the one sign-in page
of managers and partner users, the admin's, and the API token endpoint. Its tables
(AccessAttempt, AccessFailureLog, AccessLog) are the record of the attempts, readable in the
admin, and it logs each failure and each lockout on the "axes" logger. This module holds what
the project adds: the backend, the lockout page, the throttled password-reset view and
the throttle of the public partner application form.
"""

import hashlib
import logging
import math

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from axes.signals import user_locked_out
from django.contrib.auth import views as auth_views
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from prm.api.throttling import AddressRateThrottle

logger = logging.getLogger(__name__)


class LoginLockoutBackend(AxesStandaloneBackend):
    """Axes' backend (first in AUTHENTICATION_BACKENDS: it refuses a locked-out username and
    address before any password is checked), except that a call without a request is let
    through to the next backend instead of failing: that is code checking a password outside
    any sign-in route (a shell, a test, a management command), where there is no caller to
    lock out. Every sign-in route passes its request, and tests/prm/test_auth_hardening.py
    proves the lockout on each of them."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def retry_after_seconds(request: HttpRequest | None = None) -> int:
    """How long a locked-out caller waits: the whole cool-off, since each attempt during a
    lockout starts it again (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT)."""
    cool_off = get_cool_off(request)
    return int(cool_off.total_seconds()) if cool_off else 0


def _too_many_attempts(request: HttpRequest, *, reason: str, wait_seconds: int) -> HttpResponse:
    response = render(
        request,
        "registration/lockout.html",
        {"reason": reason, "retry_after_minutes": max(1, math.ceil(wait_seconds / 60))},
        status=429,
    )
    response["Retry-After"] = str(wait_seconds)
    return response


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the page a locked-out sign-in gets instead of the form, in the
    app's look, 429 with Retry-After."""
    return _too_many_attempts(request, reason="login", wait_seconds=retry_after_seconds(request))


@receiver(user_locked_out, dispatch_uid="prm.brute_force.log_lockout")
def log_lockout(sender, request, username, ip_address, **kwargs) -> None:
    """One plain line per lockout, with what an operator needs to lift it early
    (`manage.py axes_reset_username USERNAME`). Axes' own lines mask the username and the
    address (a password typed into the username field must not reach the logs); a lockout
    takes the same name several times, so it is named here."""
    logger.warning(
        "Sign-in locked out for %d minutes: username=%r address=%s path=%s",
        retry_after_seconds(request) // 60,
        username,
        ip_address,
        getattr(request, "path", ""),
    )


class PasswordResetAddressThrottle(AddressRateThrottle):
    """Reset requests from one address (scope "password-reset")."""

    scope = "password-reset"


class PasswordResetEmailThrottle(AddressRateThrottle):
    """Reset requests for one e-mail address from anywhere (scope "password-reset-email"):
    nobody gets a mailbox flooded with reset links."""

    scope = "password-reset-email"

    def get_cache_key(self, request, view) -> str | None:
        email = request.POST.get("email", "").strip().lower()
        if not email:
            return None
        digest = hashlib.sha256(email.encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": digest}


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset view with rate limits on sending: a reset request is no password
    guess, so it is throttled rather than locked out (a lockout would let anyone block a
    user's reset by asking for it repeatedly)."""

    throttle_classes = (PasswordResetAddressThrottle, PasswordResetEmailThrottle)

    def post(self, request, *args, **kwargs):
        refused = refuse_when_throttled(request, self, reason="password_reset")
        return refused or super().post(request, *args, **kwargs)


class ApplicationAddressThrottle(AddressRateThrottle):
    """Partner applications from one address (scope "partner-application"): the public form
    creates records and sends e-mail, so a script must not be able to fill the queue."""

    scope = "partner-application"


def refuse_when_throttled(request: HttpRequest, view, *, reason: str) -> HttpResponse | None:
    """The 429 page when one of the view's throttle_classes refuses the request, else None
    (the request is counted)."""
    for throttle_class in view.throttle_classes:
        throttle = throttle_class()
        if not throttle.allow_request(request, view):
            wait_seconds = math.ceil(throttle.wait() or 0)
            return _too_many_attempts(request, reason=reason, wait_seconds=wait_seconds)
    return None


def login_logs_prune(*, older_than_days: int) -> dict[str, int]:
    """Delete sign-in records (axes' AccessLog and AccessFailureLog) older than the retention:
    they name people and addresses, so they are kept only as long as they are useful. The
    lockout counters (AccessAttempt) expire by themselves (AXES_COOLOFF_TIME)."""
    from axes.handlers.proxy import AxesProxyHandler

    return {
        "access_logs": AxesProxyHandler.reset_logs(age_days=older_than_days),
        "failure_logs": AxesProxyHandler.reset_failure_logs(age_days=older_than_days),
    }
