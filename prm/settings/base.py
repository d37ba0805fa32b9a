"""
Settings shared by every environment. Every value that differs between machines is read
from the environment (django-environ); see local.py, test.py and production.py for the
per-environment defaults.

https://docs.djangoproject.com/en/5.2/ref/settings/
"""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ
from babel import Locale, UnknownLocaleError
from babel.numbers import is_currency
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# Runtime state of the embedded quick start (SQLite file, broker folders, uploads).
VAR_DIR = Path(environ.Env().str("PRM_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
env.read_env(BASE_DIR / ".env", overwrite=False)

# GENERAL
# ------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="UTC")
# The interface is in English (there are no translations), so no LocaleMiddleware: it would
# also switch Django's own number localisation, and form inputs would then read "1.234,5".
# Numbers and money follow the reader's locale through prm.formatting instead (PRM_LOCALE).
LANGUAGE_CODE = "en-us"
LANGUAGES = [("en", "English")]
USE_I18N = True
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
ROOT_URLCONF = "prm.urls"
WSGI_APPLICATION = "prm.wsgi.application"

# DATABASES
# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-db-url
# ------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'prm.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The quick start runs web, worker and beat on one SQLite file: WAL lets readers go on
    # while one process writes, IMMEDIATE transactions and a long timeout make writers queue
    # instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)

# APPS
# ------------------------------------------------------------------------------
DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]
THIRD_PARTY_APPS = [
    "rest_framework",
    "knox",  # API tokens: stored hashed, expiring (prm/api/auth.py)
    "axes",  # sign-in lockout and the record of attempts (prm/brute_force.py)
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_countries",
    "auditlog",
    "csp",
]
LOCAL_APPS = [
    "audit",  # the lowest layer: every app may import it
    "prm",
    "partners",
    "segments",
    "deals",
    "enablement",
    "communications",
    "portal",
    "insights",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Numbers and money in the locale of the browser's Accept-Language (prm/formatting.py).
    "prm.formatting.FormattingLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "audit.middleware.AuditActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a sign-in refused by the lockout into its 429 page.
    "axes.middleware.AxesMiddleware",
]

# SECURITY HEADERS AND CONTENT SECURITY POLICY
# https://docs.djangoproject.com/en/5.2/ref/middleware/#module-django.middleware.security
# https://django-csp.readthedocs.io/en/latest/configuration.html
# ------------------------------------------------------------------------------
# Every environment sends these, so the test suite and the browser tests run under them;
# production.py adds what needs HTTPS (HSTS, secure cookies, the redirect).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        # No inline script, no eval: behaviours live in static/js, data in json_script blocks.
        "script-src": [SELF],
        # Inline styles are allowed, scripts are not. Progress bars and heat-map cells set
        # their width and colour in style attributes, and e-mail bodies shown in sandboxed
        # srcdoc frames (which inherit this policy) carry their own <style> and style
        # attributes. CSS cannot run code, and cannot send anything to another host either:
        # images, fonts and requests go to 'self' only.
        "style-src": [SELF, UNSAFE_INLINE],
        # Hosts that serve the images of campaign e-mails (shown in the inbox and the
        # previews), e.g. "https://cdn.example.com"; none by default.
        "img-src": [SELF, "data:", *env.list("DJANGO_CSP_EXTRA_IMG_SRC", default=[])],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# AUTHENTICATION
# ------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username and address before any password is checked.
    "prm.brute_force.LoginLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# SIGN-IN LOCKOUT (django-axes)
# https://django-axes.readthedocs.io/en/latest/4_configuration.html
# ------------------------------------------------------------------------------
# After PRM_LOGIN_FAILURE_LIMIT failed sign-ins of one username from one address, that pair is
# refused (429) for PRM_LOGIN_LOCKOUT_MINUTES, on every sign-in route: the sign-in page, the
# admin's and POST /api/auth/token/. Another attempt during the wait starts it again.
AXES_FAILURE_LIMIT = env.int("PRM_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("PRM_LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # every failure kept, not only the counter
# Sign-in records (successes and failures) are deleted after this many days, nightly.
PRM_LOGIN_LOG_RETENTION_DAYS = env.int("PRM_LOGIN_LOG_RETENTION_DAYS", default=90)
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "prm.brute_force.lockout_response"
# The same client address as the API rate limits (REST_FRAMEWORK["NUM_PROXIES"]).
AXES_CLIENT_IP_CALLABLE = "prm.api.throttling.client_ip"
# Behind a reverse proxy: how many proxies append to X-Forwarded-For. 0 = none, the header is
# ignored (a client could otherwise pick its own address and escape lockout and rate limits).
PRM_TRUSTED_PROXY_COUNT = env.int("PRM_TRUSTED_PROXY_COUNT", default=0)

# API TOKENS (django-rest-knox)
# https://jazzband.github.io/django-rest-knox/settings/
# ------------------------------------------------------------------------------
# Every token expires: an integration asks for a new one before then (a leaked token is
# worth PRM_API_TOKEN_TTL_DAYS at most). Only a SHA-512 digest of a token is stored.
PRM_API_TOKEN_TTL_DAYS = env.int("PRM_API_TOKEN_TTL_DAYS", default=90)
if PRM_API_TOKEN_TTL_DAYS < 1:
    raise ImproperlyConfigured("PRM_API_TOKEN_TTL_DAYS must be 1 or more: every token expires.")
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=PRM_API_TOKEN_TTL_DAYS),
    # Bounds the live tokens of one user (each sign-in through the API makes one); 0 = none.
    "TOKEN_LIMIT_PER_USER": env.int("PRM_API_TOKEN_LIMIT_PER_USER", default=20) or None,
    "AUTH_HEADER_PREFIX": "Token",
}

# TEMPLATES AND STATIC FILES
# ------------------------------------------------------------------------------
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.str("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
MEDIA_URL = "/media/"
MEDIA_ROOT = env.str("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media"))

# Uploads: imports of 100,000 rows are a few tens of MB; anything larger is refused with 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", default=10 * 2**20)
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 2**20
PRM_IMPORT_MAX_BYTES = env.int("PRM_IMPORT_MAX_BYTES", default=100 * 2**20)

# EMAIL
# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-email-url
# ------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="PRM <prm@localhost>")

# CACHE
# ------------------------------------------------------------------------------
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# LOGGING
# ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# CELERY
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
# ------------------------------------------------------------------------------
# The embedded default is kombu's filesystem transport: a broker that needs no server.
_BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://localhost//")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for _folder in ("queue", "processed", "control"):
        (_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_BROKER_DIR / "queue"),
        "data_folder_out": str(_BROKER_DIR / "queue"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        "control_folder": str(_BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
# A task is acknowledged after it ran, so a worker killed mid-task leaves it to be redelivered;
# tasks are written to be safe to run twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# DJANGO REST FRAMEWORK
# https://www.django-rest-framework.org/api-guide/settings/
# ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first, so that an anonymous request is answered 401 with WWW-Authenticate.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "prm.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Counted in the default cache (Redis in production). "api-token" is per address, on
    # POST /api/auth/token/; "password-reset*" guard the reset form and "partner-application"
    # the public application form (prm/brute_force.py).
    "DEFAULT_THROTTLE_CLASSES": [
        "prm.api.throttling.AnonRateThrottle",
        "prm.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("PRM_API_THROTTLE_ANON", default="60/minute"),
        "user": env.str("PRM_API_THROTTLE_USER", default="600/minute"),
        "api-token": env.str("PRM_API_THROTTLE_TOKEN", default="10/minute"),
        "password-reset": env.str("PRM_PASSWORD_RESET_THROTTLE", default="10/hour"),
        "password-reset-email": env.str("PRM_PASSWORD_RESET_EMAIL_THROTTLE", default="3/hour"),
        "partner-application": env.str("PRM_APPLICATION_THROTTLE", default="5/hour"),
    },
    "NUM_PROXIES": PRM_TRUSTED_PROXY_COUNT,
    "DEFAULT_PERMISSION_CLASSES": ["prm.api.permissions.IsChannelManager"],
    "DEFAULT_PAGINATION_CLASS": "prm.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "prm.api.schema.ErrorDocumentingAutoSchema",
    "DEFAULT_PARSER_CLASSES": [
        "prm.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "prm.api.exceptions.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "PRM API",
    "DESCRIPTION": "Partner relationship management: partners, contacts, segments.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ContactRoleEnum": "partners.models.ContactRole",
        "TopicEnum": "communications.models.Topic",
        # Shared by a manager's and a partner user's content item (enablement API).
        "ContentItemKindEnum": "enablement.models.ContentKind",
        # A registration's state, and the two ends of each of its transitions.
        "DealStateEnum": "deals.models.DealStatus",
    },
    # Swagger UI and Redoc from drf-spectacular-sidecar's static files, never from a CDN:
    # the docs work offline and under the content security policy.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# AUDIT TRAIL
# https://django-auditlog.readthedocs.io/en/latest/usage.html#settings
# ------------------------------------------------------------------------------
# Our entry model adds the name of the system job that made a change (audit.models).
AUDITLOG_LOGENTRY_MODEL = "audit.AuditEntry"
# Changes are stored as text ({field: [old, new]}, "None" for empty), as set-based writes store
# them too (audit.services), so every entry reads the same.
AUDITLOG_STORE_JSON_CHANGES = False
# A tier or a partner in a history by name, not by id.
AUDITLOG_USE_FK_STRING_REPRESENTATION = True
# django-auditlog's own migrations create its default LogEntry table even when it is swapped
# out for ours; unused, it would only block TRUNCATE (its user foreign key) in transactional
# tests. Without migrations the app's swapped model gets no table.
MIGRATION_MODULES = {"auditlog": None}

# PRM
# ------------------------------------------------------------------------------
PRM_API_MAX_PAGE_SIZE = 1000

# MONEY AND NUMBERS (prm/formatting.py, Babel)
# https://babel.pocoo.org/en/latest/numbers.html
# ------------------------------------------------------------------------------
# The currency of the partner figures (revenue, annual revenue, the tiers' thresholds), which
# carry none of their own: an ISO 4217 code.
PRM_CURRENCY = env.str("PRM_CURRENCY", default="USD").upper()
if not is_currency(PRM_CURRENCY):
    raise ImproperlyConfigured(f"PRM_CURRENCY={PRM_CURRENCY!r} is not an ISO 4217 currency code.")
# The locale numbers and money are written in for e-mails, tasks and browsers that send no
# Accept-Language header CLDR knows (a request's own locale comes first), e.g. "de-DE".
PRM_LOCALE = env.str("PRM_LOCALE", default="en-US")
try:
    Locale.parse(PRM_LOCALE.replace("-", "_"))
except (ValueError, UnknownLocaleError) as error:
    raise ImproperlyConfigured(f"PRM_LOCALE={PRM_LOCALE!r} is not a known locale.") from error

# SEGMENTS
# ------------------------------------------------------------------------------
# A run over this limit is cancelled by PostgreSQL and recorded as failed.
PRM_SEGMENT_STATEMENT_TIMEOUT_MS = env.int("PRM_SEGMENT_STATEMENT_TIMEOUT_MS", default=300_000)
# Changed partners are re-checked in batches this many seconds after the change.
PRM_SEGMENT_CHANGE_DELAY_SECONDS = env.float("PRM_SEGMENT_CHANGE_DELAY_SECONDS", default=3.0)
PRM_SEGMENT_CHANGE_BATCH_SIZE = env.int("PRM_SEGMENT_CHANGE_BATCH_SIZE", default=20_000)
PRM_SEGMENT_MAX_BACKOFF_MINUTES = env.int("PRM_SEGMENT_MAX_BACKOFF_MINUTES", default=24 * 60)
PRM_SEGMENT_STUCK_RUN_MINUTES = env.int("PRM_SEGMENT_STUCK_RUN_MINUTES", default=30)
# A saved segment is evaluated in the request while there are at most this many partners
# (its page then shows the members at once); above, it is queued and the page polls.
PRM_SEGMENT_INLINE_EVALUATION_MAX = env.int("PRM_SEGMENT_INLINE_EVALUATION_MAX", default=20_000)
# Warnings: tiny segments, near-duplicates and over-segmentation.
PRM_SEGMENT_MIN_MEMBERS = env.int("PRM_SEGMENT_MIN_MEMBERS", default=10)
PRM_SEGMENT_OVERLAP_THRESHOLD = env.float("PRM_SEGMENT_OVERLAP_THRESHOLD", default=0.9)
PRM_SEGMENT_BUDGET = env.int("PRM_SEGMENT_BUDGET", default=50)
PRM_SEGMENT_MAX_RULE_BYTES = env.int("PRM_SEGMENT_MAX_RULE_BYTES", default=64 * 1024)

# DEAL REGISTRATION (deals/)
# ------------------------------------------------------------------------------
# A submitted registration is reviewed within this many business days (Mon-Fri) or the SLA
# sweep marks it overdue and tells the partner's channel manager.
PRM_DEAL_REVIEW_BUSINESS_DAYS = env.int("PRM_DEAL_REVIEW_BUSINESS_DAYS", default=2)
# The partner is reminded this many days before an approved deal's protection ends.
PRM_DEAL_EXPIRY_REMINDER_DAYS = env.int("PRM_DEAL_EXPIRY_REMINDER_DAYS", default=7)
# Two customers in one country are the same when their normalised names are at least this
# similar (pg_trgm similarity, 0-1).
PRM_DEAL_NAME_SIMILARITY = env.float("PRM_DEAL_NAME_SIMILARITY", default=0.6)
# The longest protection extension a partner may ask for, once per deal.
PRM_DEAL_EXTENSION_MAX_DAYS = env.int("PRM_DEAL_EXTENSION_MAX_DAYS", default=90)
# Protection of an approved deal that no incentive rule prices.
PRM_DEAL_DEFAULT_PROTECTION_DAYS = env.int("PRM_DEAL_DEFAULT_PROTECTION_DAYS", default=90)
# A deal's optional attachment (a quote, an RFP): documents and images, at most this size.
PRM_DEAL_ATTACHMENT_MAX_BYTES = env.int("PRM_DEAL_ATTACHMENT_MAX_BYTES", default=10 * 2**20)
# The open pipeline of a partner (a segment field and an insight) is in PRM_CURRENCY. A deal
# in another currency counts at this rate, units of PRM_CURRENCY per unit of it, e.g.
# PRM_DEAL_EXCHANGE_RATES="EUR=1.08,GBP=1.27"; a deal in a currency without a rate is left out
# of the amount (it still counts as an open deal). Deliberately a fixed table: a figure a rule
# compares must not move with the day's market.
PRM_DEAL_EXCHANGE_RATES = env.dict("PRM_DEAL_EXCHANGE_RATES", default={})
for _code, _rate in list(PRM_DEAL_EXCHANGE_RATES.items()):
    try:
        _value = Decimal(str(_rate))
    except ArithmeticError:
        _value = Decimal(0)
    if not is_currency(_code.upper()) or not _value.is_finite() or _value <= 0:
        raise ImproperlyConfigured(
            f"PRM_DEAL_EXCHANGE_RATES: {_code}={_rate} is not an ISO 4217 code and a positive rate."
        )
PRM_DEAL_EXCHANGE_RATES = {
    _code.upper(): str(_rate) for _code, _rate in PRM_DEAL_EXCHANGE_RATES.items()
}

# ENABLEMENT
# ------------------------------------------------------------------------------
PRM_CONTENT_MAX_UPLOAD_BYTES = env.int("PRM_CONTENT_MAX_UPLOAD_BYTES", default=50 * 2**20)
# Outside MEDIA_ROOT on purpose: content files are only ever served through the gated view.
PRM_CONTENT_STORAGE_ROOT = env.str("PRM_CONTENT_STORAGE_ROOT", default=str(VAR_DIR / "protected"))
PRM_ENGAGEMENT_ROLLUP_DELAY_SECONDS = env.float("PRM_ENGAGEMENT_ROLLUP_DELAY_SECONDS", default=10.0)
PRM_CERTIFICATION_REMINDER_DAYS = env.int("PRM_CERTIFICATION_REMINDER_DAYS", default=30)

# TIER PROGRAM
# ------------------------------------------------------------------------------
# True: the nightly tier evaluation queues changes for a manager's approval instead.
PRM_TIER_CHANGES_REQUIRE_APPROVAL = env.bool("PRM_TIER_CHANGES_REQUIRE_APPROVAL", default=False)

# COMMUNICATIONS
# ------------------------------------------------------------------------------
# The address partners reach the PRM at: unsubscribe, preference and tracking links (https in
# production: RFC 8058 one-click unsubscribe requires it).
PRM_PUBLIC_BASE_URL = env.str("PRM_PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
PRM_MESSAGE_CAP_PER_WEEK = env.int("PRM_MESSAGE_CAP_PER_WEEK", default=3)
PRM_MESSAGE_MAX_ATTEMPTS = env.int("PRM_MESSAGE_MAX_ATTEMPTS", default=5)
PRM_MESSAGE_SENDING_TIMEOUT_SECONDS = env.int("PRM_MESSAGE_SENDING_TIMEOUT_SECONDS", default=600)
PRM_MESSAGE_RETRY_BACKOFF_SECONDS = env.int("PRM_MESSAGE_RETRY_BACKOFF_SECONDS", default=60)
PRM_MESSAGE_RETRY_BACKOFF_MAX_SECONDS = env.int(
    "PRM_MESSAGE_RETRY_BACKOFF_MAX_SECONDS", default=3600
)
PRM_MESSAGE_BATCH_SIZE = env.int("PRM_MESSAGE_BATCH_SIZE", default=200)
PRM_MESSAGE_SEND_PARALLELISM = env.int("PRM_MESSAGE_SEND_PARALLELISM", default=4)
PRM_MESSAGE_SMTP_TIMEOUT_SECONDS = env.int("PRM_MESSAGE_SMTP_TIMEOUT_SECONDS", default=30)
# False: "sent" marks commit without waiting for the disk flush (a database crash could lose
# the last few hundred milliseconds of marks, and those messages would go out again).
PRM_MESSAGE_SYNCHRONOUS_MARKS = env.bool("PRM_MESSAGE_SYNCHRONOUS_MARKS", default=False)
PRM_TRACKING_TOKEN_MAX_AGE_DAYS = env.int("PRM_TRACKING_TOKEN_MAX_AGE_DAYS", default=365)
PRM_UNSUBSCRIBE_MAILTO = env.str("PRM_UNSUBSCRIBE_MAILTO", default=None)
PRM_MESSAGE_ID_DOMAIN = env.str("PRM_MESSAGE_ID_DOMAIN", default=None)

CELERY_BEAT_SCHEDULE = {
    "segments-refresh-due": {
        "task": "segments.tasks.segments_refresh_due_task",
        "schedule": 60.0,
    },
    "segments-sweep-stuck-runs": {
        "task": "segments.tasks.evaluation_runs_sweep_task",
        "schedule": 300.0,
    },
    "segments-drain-pending-changes": {
        # A safety net: changes queued while no worker ran are picked up within a minute.
        "task": "segments.tasks.segments_process_changes_task",
        "schedule": 60.0,
    },
    "enablement-engagement-rollup": {
        "task": "enablement.tasks.engagement_rollup_task",
        "schedule": crontab(minute=30, hour=2),
    },
    "enablement-certifications-expiring": {
        "task": "enablement.tasks.certifications_expiring_task",
        "schedule": crontab(minute=0, hour=6),
    },
    "communications-occurrences-tick": {
        "task": "communications.tasks.occurrences_tick_task",
        "schedule": 60.0,
    },
    "communications-messages-sweep": {
        "task": "communications.tasks.messages_sweep_task",
        "schedule": 60.0,
    },
    "deals-sla-sweep": {
        "task": "deals.tasks.deals_sla_sweep_task",
        "schedule": crontab(minute="*/15"),
    },
    "deals-stats-refresh": {
        # The 12-month deal figures of every partner (segment fields): the window rolls daily.
        "task": "deals.tasks.deal_stats_refresh_all_task",
        "schedule": crontab(minute=20, hour=2),
    },
    "partners-tiers-evaluate": {
        # After the engagement (02:30) and the monthly performance (02:15) roll-ups.
        "task": "partners.tasks.tiers_evaluate_task",
        "schedule": crontab(minute=0, hour=3),
    },
    "insights-at-risk-refresh": {
        # After the monthly performance (02:15) and engagement (02:30) roll-ups.
        "task": "insights.tasks.partners_at_risk_refresh_task",
        "schedule": crontab(minute=45, hour=3),
    },
    "insights-weekly-digest": {
        "task": "insights.tasks.weekly_digest_task",
        "schedule": crontab(minute=0, hour=7, day_of_week=1),
    },
    "prm-login-logs-prune": {
        "task": "prm.tasks.login_logs_prune_task",
        "schedule": crontab(minute=30, hour=4),
    },
    "partners-monthly-rollup": {
        "task": "partners.tasks.partners_rollup_performance_task",
        "schedule": crontab(minute=15, hour=2, day_of_month=1),
    },
}
