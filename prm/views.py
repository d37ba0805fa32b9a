"""Project-level pages: the landing page and the health check."""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from partners.access import staff_required
from partners.scoping import user_contact
from prm import charts
from prm.celery import app as celery_app
from prm.selectors import TREND_DAYS, dashboard_figures


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


@require_GET
def favicon(request):
    """/favicon.ico, which browsers ask for where a page names no icon (the admin, the API
    docs, a file): the static icon."""
    return redirect(static("favicon.ico"))


def home(request):
    """Where "/" leads: channel managers to their dashboard, everyone else to sign in."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if request.user.is_staff:
        return redirect("dashboard")
    if user_contact(request.user) is not None:
        return redirect("portal:home")
    return render(request, "home.html")


WARNING_KINDS = {
    "failing": {"label": "Failing", "icon": "x-octagon", "colour": "danger"},
    "stale": {"label": "Stale", "icon": "hourglass-split", "colour": "warning"},
    "tiny": {"label": "Tiny", "icon": "dash-circle", "colour": "secondary"},
    "overlap": {"label": "Overlap", "icon": "intersect", "colour": "info"},
    "over_segmentation": {"label": "Too many segments", "icon": "stack", "colour": "warning"},
}


def _segment_url(pk: int) -> str:
    try:
        return reverse("segments:detail", args=[pk])
    except NoReverseMatch:  # the segment pages may not be mounted yet
        return f"/segments/{pk}/"


def _campaign_url(pk: int) -> str | None:
    try:
        return reverse("communications:campaign-detail", args=[pk])
    except NoReverseMatch:
        return None


@staff_required
def dashboard(request):
    """The channel manager's overview of the partner program: partners, segments and their
    trend, the engine's warnings, enablement completion and campaign performance."""
    try:
        trend_days = int(request.GET.get("trend", TREND_DAYS[0]))
    except ValueError:
        trend_days = TREND_DAYS[0]
    if trend_days not in TREND_DAYS:
        trend_days = TREND_DAYS[0]
    figures = dashboard_figures(trend_days=trend_days)
    partners = figures["partners"]
    segments_by_slug = {segment["slug"]: segment for segment in figures["segments"]}
    warnings = []
    for warning in figures["warnings"]:
        segment = segments_by_slug.get(warning.get("segment"))
        other = segments_by_slug.get(warning.get("other"))
        warnings.append(
            {
                **warning,
                **WARNING_KINDS.get(warning["kind"], WARNING_KINDS["tiny"]),
                "segment": segment,
                "segment_url": _segment_url(segment["id"]) if segment else None,
                "other": other,
                "other_url": _segment_url(other["id"]) if other else None,
            }
        )
    largest = [segment for segment in figures["segments"] if segment["is_active"]][:8]
    top_size = largest[0]["member_count"] if largest else 0
    largest = [
        {
            **segment,
            "url": _segment_url(segment["id"]),
            "share": segment["member_count"] / top_size * 100 if top_size else 0,
        }
        for segment in largest
    ]
    enablement = figures["enablement"]
    context = {
        "nav": "dashboard",
        "figures": figures,
        "partners": partners,
        "active_share": partners["active"] / partners["total"] if partners["total"] else None,
        "contacts_per_partner": figures["contacts"] / partners["total"]
        if partners["total"]
        else None,
        "warnings": warnings,
        "largest_segments": largest,
        "trend_days": trend_days,
        "trend_choices": TREND_DAYS,
        "enablement": enablement,
        "campaigns": [
            {**campaign, "url": _campaign_url(campaign["id"])} for campaign in figures["campaigns"]
        ],
        "campaign_status": figures["campaign_status"],
        "charts": {
            "tier": charts.doughnut(partners["by_tier"], charts.TIER_COLOURS),
            "region": charts.doughnut(partners["by_region"]),
            "type": charts.type_bar(partners["by_type"]),
            "stage": charts.lifecycle_bar(partners["by_lifecycle_stage"]),
            "trend": charts.segment_trend(figures["trend"]),
            "completion": charts.completion_by_tier(enablement),
        },
    }
    return render(request, "dashboard.html", context)
