"""Production (docker compose): PostgreSQL, Redis, SMTP; secrets only from the environment."""

from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import MIDDLEWARE, env

# Words of the keys that are written down somewhere (local.py, test.py, the Dockerfile's
# build step, tutorials): such a key signs nothing in production.
_PUBLISHED_KEY_WORDS = (
    "insecure",
    "change-me",
    "changeme",
    "test-only",
    "build-only",
    "secret-key",
)


def _checked_secret_key(name: str, value: str) -> str:
    """The key itself if it is fit to sign sessions and tokens; else the process stops here,
    at settings import, before gunicorn or a worker serves anything."""
    problem = None
    if not value:
        problem = "is not set"
    elif value.startswith(SECRET_KEY_INSECURE_PREFIX):
        problem = f"starts with {SECRET_KEY_INSECURE_PREFIX!r} (a key made for development)"
    elif any(word in value.lower() for word in _PUBLISHED_KEY_WORDS):
        problem = "is a development, test or placeholder key"
    elif len(value) < SECRET_KEY_MIN_LENGTH or len(set(value)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS:
        problem = (
            f"is too weak (it needs {SECRET_KEY_MIN_LENGTH}+ characters, "
            f"{SECRET_KEY_MIN_UNIQUE_CHARACTERS}+ of them different)"
        )
    if problem:
        raise ImproperlyConfigured(
            f"{name} {problem}. Set it to a long random value, e.g. the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(64))'`."
        )
    return value


# GENERAL
# ------------------------------------------------------------------------------
DEBUG = False
SECRET_KEY = _checked_secret_key("DJANGO_SECRET_KEY", env.str("DJANGO_SECRET_KEY", default=""))
# Old keys still accepted for signatures made before a key rotation.
SECRET_KEY_FALLBACKS = [
    _checked_secret_key("DJANGO_SECRET_KEY_FALLBACKS", key)
    for key in env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])
]
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=env.str("REDIS_URL", default=""))
# With acks_late, Redis hands a task whose worker died to another worker once this many
# seconds pass without an acknowledgement (kombu's default is an hour). It must exceed the
# longest task; the sweepers of stuck runs and messages cover the time until then.
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT_SECONDS", default=900)
}
# Static files straight from gunicorn (WhiteNoise): hashed names, compressed, cached for ever.
MIDDLEWARE = [
    *MIDDLEWARE[:1],
    "whitenoise.middleware.WhiteNoiseMiddleware",
    *MIDDLEWARE[1:],
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "DJANGO_STATICFILES_STORAGE",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}
CACHES = {"default": env.cache("CACHE_URL", default=env.str("REDIS_URL", default="locmemcache://"))}

# SECURITY
# https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/
# https://docs.djangoproject.com/en/5.2/ref/middleware/#module-django.middleware.security
# ------------------------------------------------------------------------------
# (base.py sends nosniff, the referrer policy, frame denial and the content security policy
# in every environment.)
# Behind a proxy that terminates TLS, Django learns that the request came over HTTPS from the
# header the proxy sets. The proxy must set it on every request and drop a client's own copy;
# set DJANGO_SECURE_PROXY_SSL_HEADER to "" when nothing sits in front of the app.
_proxy_ssl_header = env.str("DJANGO_SECURE_PROXY_SSL_HEADER", default="HTTP_X_FORWARDED_PROTO")
SECURE_PROXY_SSL_HEADER = (_proxy_ssl_header, "https") if _proxy_ssl_header else None
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Container health checks call http://127.0.0.1:8000/healthz directly, without the proxy.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
# No script reads the CSRF cookie: pages hand the token to htmx and fetch() in the markup.
CSRF_COOKIE_HTTPONLY = True
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
# Preloading is a promise to browsers' built-in HSTS lists that is slow to take back; turn it
# off for a domain whose subdomains cannot all serve HTTPS yet.
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
