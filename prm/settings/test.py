"""The test suite: real PostgreSQL and Redis (DATABASE_URL, REDIS_URL)."""

from .base import *  # noqa: F403
from .base import REST_FRAMEWORK, env

SECRET_KEY = "test-only-secret-key"
DEBUG = False
DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/prm"),
}
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = REDIS_URL
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
# Unit tests run tasks in-process; tests marked celery_worker start a real worker on Redis.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True
# Real-worker tests send to a queue of their own, so parallel runs never take each other's tasks.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Rate limits far above what any test sends: the counters live in this one process-wide cache,
# shared by every test of a run. tests/prm/test_auth_hardening.py lowers them to prove they work.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": dict.fromkeys(
        REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "100000/hour"
    ),
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = "/tmp/prm-test-media"
PRM_CONTENT_STORAGE_ROOT = "/tmp/prm-test-media/protected"
# Saved segments are queued (on commit), as before, unless a test opts in to evaluation in
# the request (tests/segments/test_inline_evaluation.py sets the bound).
PRM_SEGMENT_INLINE_EVALUATION_MAX = 0
