"""The deployment settings: production passes `check --deploy`, refuses weak secrets, redirects
to HTTPS except for the health check; every environment sends the security headers and the
content security policy, and no template needs an inline script."""

import os
import re
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
LOCAL_KEY = "insecure-local-development-key-change-me"  # prm/settings/local.py
TEST_KEY = settings.SECRET_KEY  # prm/settings/test.py


def _production_env(tmp_path, **overrides) -> dict:
    """A clean environment (nothing inherited from the test run) with what production needs."""
    database = settings.DATABASES["default"]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PRM_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "prm.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "prm.example.com,testserver",
        # The health check only runs SELECT 1: the server's own maintenance database will do.
        "DATABASE_URL": "postgres://{user}@{host}:{port}/postgres".format(
            user=database["USER"] or "postgres",
            host=database["HOST"] or "127.0.0.1",
            port=database["PORT"] or 5432,
        ),
        "REDIS_URL": settings.REDIS_URL,
        # Pages render without a collectstatic run (its manifest); the test of static files
        # below runs collectstatic and uses the production storage.
        "DJANGO_STATICFILES_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
    }
    env.update(overrides)
    return {name: value for name, value in env.items() if value is not None}


def _run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


# PRODUCTION SETTINGS
# ------------------------------------------------------------------------------


def test_check_deploy_reports_nothing_for_production_with_a_proper_environment(tmp_path):
    # when
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "DEBUG"], _production_env(tmp_path)
    )
    # then
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_when_the_ssl_redirect_is_switched_off(tmp_path):
    """The check that the test above relies on is really run: it speaks up when it should."""
    env = _production_env(tmp_path, DJANGO_SECURE_SSL_REDIRECT="false")
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode != 0
    assert "security.W008" in result.stdout + result.stderr


IMPORT_PRODUCTION = ["-c", "import prm.settings.production"]


@pytest.mark.parametrize(
    "secret_key",
    [
        pytest.param(None, id="missing"),
        pytest.param("", id="empty"),
        pytest.param(LOCAL_KEY, id="local-development-key"),
        pytest.param(TEST_KEY, id="test-key"),
        pytest.param("django-insecure-" + secrets.token_urlsafe(48), id="django-insecure"),
        pytest.param("please-change-me-" + secrets.token_urlsafe(48), id="placeholder"),
        pytest.param(secrets.token_urlsafe(24), id="too-short"),
        pytest.param("ab" * 40, id="too-few-distinct-characters"),
    ],
)
def test_production_refuses_to_start_without_a_strong_secret_key(tmp_path, secret_key):
    # given
    env = _production_env(tmp_path, DJANGO_SECRET_KEY=secret_key)
    # when
    result = _run(IMPORT_PRODUCTION, env)
    # then
    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY" in result.stderr


def test_production_starts_with_a_strong_secret_key(tmp_path):
    result = _run(IMPORT_PRODUCTION, _production_env(tmp_path))
    assert result.returncode == 0, result.stderr


def test_production_refuses_a_weak_fallback_key(tmp_path):
    env = _production_env(
        tmp_path, DJANGO_SECRET_KEY_FALLBACKS=f"{secrets.token_urlsafe(64)},{LOCAL_KEY}"
    )
    result = _run(IMPORT_PRODUCTION, env)
    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY_FALLBACKS" in result.stderr


PRODUCTION_REQUESTS = textwrap.dedent(
    """
    import json

    import django

    django.setup()
    from django.test import Client

    client = Client()
    answers = {}
    for name, path, headers in [
        ("healthz", "/healthz", {}),
        ("login_http", "/accounts/login/", {}),
        ("login_https", "/accounts/login/", {"X-Forwarded-Proto": "https"}),
    ]:
        response = client.get(path, headers=headers)
        answers[name] = {
            "status": response.status_code,
            "headers": dict(response.headers),
            "cookies": {key: morsel.OutputString() for key, morsel in response.cookies.items()},
        }
    print(json.dumps(answers))
    """
)


def _production_answers(tmp_path, **overrides) -> dict:
    import json

    result = _run(["-c", PRODUCTION_REQUESTS], _production_env(tmp_path, **overrides))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_redirects_to_https_except_for_the_health_check(tmp_path):
    # when
    answers = _production_answers(tmp_path)
    # then: a container health check over plain HTTP gets its answer, not a redirect
    assert answers["healthz"]["status"] == 200
    # a browser on plain HTTP is sent to HTTPS
    assert answers["login_http"]["status"] == 301
    assert answers["login_http"]["headers"]["Location"] == "https://testserver/accounts/login/"
    # behind the proxy, HTTPS is recognised from X-Forwarded-Proto and pinned with HSTS
    https = answers["login_https"]
    assert https["status"] == 200
    assert https["headers"]["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )
    csrf_cookie = https["cookies"]["csrftoken"]
    assert "Secure" in csrf_cookie
    assert "HttpOnly" in csrf_cookie


def test_production_trusts_no_proxy_header_when_told_there_is_no_proxy(tmp_path):
    answers = _production_answers(tmp_path, DJANGO_SECURE_PROXY_SSL_HEADER="")
    # A client's own X-Forwarded-Proto no longer counts as HTTPS.
    assert answers["login_https"]["status"] == 301


# EVERY ENVIRONMENT
# ------------------------------------------------------------------------------


def _csp_directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


def test_pages_carry_the_content_security_policy(client):
    # when
    response = client.get("/accounts/login/")
    # then
    assert response.status_code == 200
    directives = _csp_directives(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'", "'unsafe-inline'"]
    assert directives["img-src"] == ["'self'", "data:"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]


def test_pages_carry_the_other_security_headers(client):
    response = client.get("/accounts/login/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_api_docs_load_swagger_ui_from_this_server_without_inline_script(client):
    # when
    response = client.get("/api/docs/")
    # then
    html = response.content.decode()
    assert response.status_code == 200
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts, html
    assert all('src="/' in tag for tag in scripts), scripts
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn" not in html.lower()
    # the start-up script the page names is served by this server
    script_url = re.findall(r'<script src="([^"]+)"', html)[-1].replace("&amp;", "&")
    assert client.get(script_url).status_code == 200


# TEMPLATES
# ------------------------------------------------------------------------------

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>")
INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.IGNORECASE)
EVAL_ATTRIBUTE = re.compile(r"\s(data-)?hx-(on|vars)\b|hx-vals=['\"]\s*(js|javascript):")


@pytest.mark.parametrize(
    "pattern",
    [INLINE_SCRIPT, INLINE_HANDLER, JAVASCRIPT_URL, EVAL_ATTRIBUTE],
    ids=["inline-script", "inline-handler", "javascript-url", "htmx-eval"],
)
def test_no_template_needs_what_the_policy_blocks(pattern):
    offenders = [
        f"{path.relative_to(BASE_DIR)}: {match.group(0)}"
        for path in sorted((BASE_DIR / "templates").rglob("*.html"))
        for match in pattern.finditer(path.read_text())
    ]
    assert not offenders, "\n".join(offenders)


def test_the_template_scan_finds_an_inline_script_and_handler():
    """The scan above can fail: it recognises what it looks for."""
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search('<script src="/static/js/app.js"></script>')
    assert not INLINE_SCRIPT.search('<script id="data" type="application/json">{}</script>')
    assert INLINE_HANDLER.search('<form method="post" onsubmit="return confirm(1)">')
    assert not INLINE_HANDLER.search('<form data-confirm="Delete?">')


def test_production_serves_collected_static_files_with_hashed_names(tmp_path):
    # given: collectstatic with hashed names (production also compresses every file, which
    # takes minutes on this machine and is WhiteNoise's own business: hashing is what counts)
    env = _production_env(
        tmp_path,
        DJANGO_STATICFILES_STORAGE="django.contrib.staticfiles.storage.ManifestStaticFilesStorage",
        DJANGO_STATIC_ROOT=str(tmp_path / "static"),
        DJANGO_SECURE_SSL_REDIRECT="false",
    )
    collected = _run(["manage.py", "collectstatic", "--noinput", "-v", "0"], env)
    assert collected.returncode == 0, collected.stderr
    # when: the login page is rendered and the stylesheet it links is fetched
    script = """
import django
django.setup()
from django.test import Client
client = Client()
page = client.get("/accounts/login/").content.decode()
import re
href = re.search(r'href="(/static/vendor/bootstrap[^"]+)"', page).group(1)
response = client.get(href)
print(href, response.status_code, response.headers.get("Cache-Control"), sep="|")
"""
    result = _run(["-c", script], env)
    # then: a hashed name, served with a far-future cache header
    assert result.returncode == 0, result.stderr
    href, status, cache_control = result.stdout.strip().splitlines()[-1].split("|")
    assert re.search(r"bootstrap\.min\.[0-9a-f]{12}\.css$", href), href
    assert status == "200"
    assert "immutable" in cache_control
