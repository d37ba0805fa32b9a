"""API rate limits, and the one definition of "the client's address" that the rate limits and
the login lockout (django-axes) share.

Rates live in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] and are read from the settings each time
a throttle is made (once per request), not from the dict DRF binds to its classes at import, so
that `override_settings` applies.
The counters live in the default cache: Redis in production, so that every web process
counts together.
"""

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from rest_framework import throttling
from rest_framework.settings import api_settings


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address: REMOTE_ADDR, or the address the trusted proxies put into
    X-Forwarded-For when REST_FRAMEWORK["NUM_PROXIES"] (PRM_TRUSTED_PROXY_COUNT) says there
    are any. Without trusted proxies the header is ignored: a client could write any address
    into it and so escape both the lockout and the rate limits."""
    return throttling.BaseThrottle().get_ident(request) or None


class _RateFromSettingsMixin:
    scope: str

    def get_rate(self) -> str | None:
        rates = api_settings.DEFAULT_THROTTLE_RATES
        if self.scope not in rates:
            raise ImproperlyConfigured(f"No rate in DEFAULT_THROTTLE_RATES for {self.scope!r}.")
        return rates[self.scope]


class AnonRateThrottle(_RateFromSettingsMixin, throttling.AnonRateThrottle):
    """Anonymous callers, by address (scope "anon")."""


class UserRateThrottle(_RateFromSettingsMixin, throttling.UserRateThrottle):
    """Signed-in callers (token or session), by user (scope "user")."""


class AddressRateThrottle(_RateFromSettingsMixin, throttling.SimpleRateThrottle):
    """By the caller's address whoever they are; the view names the scope."""

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class TokenObtainRateThrottle(AddressRateThrottle):
    """POST /api/auth/token/: password guesses from one address, whatever the username (the
    lockout counts per username and address)."""

    scope = "api-token"
