"""Project-level pages: the landing page and the health check."""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from partners.access import staff_required
from partners.scoping import user_contact
from partners.selectors import partner_program_summary
from prm.celery import app as celery_app


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "down"; the message says why
        return f"error: {exc.__class__.__name__}: {exc}"
    return "ok"


def _broker_status() -> str:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        return f"error: {exc.__class__.__name__}: {exc}"
    return "ok"


@never_cache
@require_GET
def healthz(request):
    """200 when the database and the broker answer, else 503; each part's status in JSON."""
    checks = {"database": _database_status(), "broker": _broker_status()}
    healthy = all(value == "ok" for value in checks.values())
    body = {"status": "ok" if healthy else "error", **checks}
    if settings.DEBUG:
        body["broker_url"] = celery_app.conf.broker_url.split("@")[-1]
    return JsonResponse(body, status=200 if healthy else 503)


def home(request):
    """Where "/" leads: channel managers to their dashboard, everyone else to sign in."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if request.user.is_staff:
        return redirect("dashboard")
    if user_contact(request.user) is not None:
        return redirect("portal:home")
    return render(request, "home.html")


@staff_required
def dashboard(request):
    """The channel manager's overview of the partner program."""
    return render(
        request, "dashboard.html", {"nav": "dashboard", "summary": partner_program_summary()}
    )
