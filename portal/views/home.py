"""The partner user's home page: where the company stands in the partner program and what
this person should do next, personalised by tier, role and (through content gating) segments.

Read-only. Partner-owned rows come through partners.scoping; content and learning paths
through enablement's gating selectors. Segment names are never shown: Segment has no
partner-visible flag, and the vendor's internal segment names are its private data, so
segments personalise the page only through what content and paths the contact may see.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import F
from django.utils import timezone
from django.views.generic import TemplateView

from communications.selectors import inbox_for_contact
from deals.models import DealRegistration
from deals.selectors import deal_status_counts, partner_open_pipeline
from enablement.selectors import content_for_contact, enrollment_list
from partners.models import (
    Certification,
    ContactRole,
    PartnerCertification,
    PerformanceRecord,
    Tier,
)
from partners.scoping import scoped
from partners.tiers.selectors import tier_progress
from portal.views.base import PortalView

CERTIFICATION_EXPIRY_WARNING_DAYS = 60
PERFORMANCE_MONTHS = 12
RECOMMENDED_CONTENT = 4
LEARNING_PATHS = 5
CERTIFICATIONS = 6
MESSAGES = 5

# What each tier requirement is called on the page, and how its numbers read.
REQUIREMENT_LABELS: dict[str, dict[str, str]] = {
    "min_revenue_12m": {"label": "Revenue, last 12 months", "unit": "money", "icon": "cash-stack"},
    "min_deals_won_12m": {"label": "Deals won, last 12 months", "unit": "deals", "icon": "trophy"},
    "min_active_certifications": {
        "label": "Active certifications",
        "unit": "certifications",
        "icon": "patch-check",
    },
    "min_enablement_completion_pct": {
        "label": "Enablement completion",
        "unit": "percent",
        "icon": "mortarboard",
    },
}

# The page's sections in the order each role cares about them: the main column first, then
# the side column. Sales and executives lead with goals, technical people with learning.
MAIN, SIDE = "main", "side"
SECTION_LAYOUT: dict[str, dict[str, list[str]]] = {
    ContactRole.SALES: {
        MAIN: ["goals", "content"],
        SIDE: ["deals", "messages", "learning", "certifications"],
    },
    ContactRole.EXECUTIVE: {
        MAIN: ["goals", "certifications"],
        SIDE: ["deals", "messages", "learning", "content"],
    },
    ContactRole.MARKETING: {
        MAIN: ["content", "goals"],
        SIDE: ["messages", "learning", "certifications", "deals"],
    },
    ContactRole.TECHNICAL: {
        MAIN: ["learning", "certifications", "content"],
        SIDE: ["messages", "goals", "deals"],
    },
}


class HomeView(PortalView, TemplateView):
    template_name = "portal/home.html"
    nav = "home"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        partner, contact = self.partner, self.contact
        today = timezone.localdate()
        progress = tier_progress(partner=partner, today=today)
        performance = list(
            scoped(PerformanceRecord, partner=partner).order_by("-month")[:PERFORMANCE_MONTHS]
        )[::-1]
        certifications = certification_rows(partner=partner, today=today)
        inbox = scoped(inbox_for_contact(contact=contact), partner=partner)
        layout = SECTION_LAYOUT.get(contact.role, SECTION_LAYOUT[ContactRole.SALES])
        next_tier = progress["next_tier"]
        requirements = requirement_rows(progress["requirements"])
        unread_count = inbox.filter(read_at__isnull=True).count()
        # The nav badge ({% portal_unread_count %}) counts the same messages: counted once.
        self.request._portal_unread_count = unread_count
        context.update(
            today=today,
            progress=progress,
            next_tier_benefits=(
                Tier.objects.filter(slug=next_tier["slug"])
                .values_list("benefits", flat=True)
                .first()
                if next_tier
                else None
            )
            or [],
            requirements=requirements,
            headline=tier_headline(requirements),
            goals=goal_rows(partner=partner, progress=progress),
            performance=performance,
            performance_chart=performance_chart(performance) if performance else None,
            content=list(
                content_for_contact(contact=contact).order_by("-published_at", "-id")[
                    :RECOMMENDED_CONTENT
                ]
            ),
            enrollments=list(
                scoped(enrollment_list(contact=contact), partner=partner)
                .prefetch_related("path__steps")
                .order_by(F("completed_at").desc(nulls_first=True), "-enrolled_at", "-id")[
                    :LEARNING_PATHS
                ]
            ),
            certifications=certifications[:CERTIFICATIONS],
            more_certifications=max(len(certifications) - CERTIFICATIONS, 0),
            active_certification_count=sum(
                1 for row in certifications if row["state"] != "expired"
            ),
            expiring_certification_count=sum(
                1 for row in certifications if row["state"] == "expiring"
            ),
            inbox_messages=list(inbox[:MESSAGES]),
            unread_count=unread_count,
            main_sections=layout[MAIN],
            side_sections=layout[SIDE],
            warning_days=CERTIFICATION_EXPIRY_WARNING_DAYS,
            deal_summary={
                "counts": deal_status_counts(queryset=scoped(DealRegistration, partner=partner)),
                "pipeline": partner_open_pipeline(partner=partner, today=today),
            },
        )
        return context


def certification_rows(*, partner, today: dt.date) -> list[dict[str, Any]]:
    """The company's certifications, soonest expiry first (no expiry last), each with its
    state: expired, expiring (within the warning window) or active."""
    rows = []
    earned = scoped(PartnerCertification, partner=partner).select_related("certification")
    for award in earned.order_by(F("expires_at").asc(nulls_last=True), "certification__name"):
        days_left = (award.expires_at - today).days if award.expires_at else None
        if days_left is not None and days_left <= 0:
            state = "expired"
        elif days_left is not None and days_left <= CERTIFICATION_EXPIRY_WARNING_DAYS:
            state = "expiring"
        else:
            state = "active"
        rows.append({"award": award, "days_left": days_left, "state": state})
    # Expired ones last: what needs attention is what still counts.
    return sorted(rows, key=lambda row: row["state"] == "expired")


def requirement_rows(checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The next tier's requirements as the page shows them, the certifications a tier names
    by their names (one query, only when a tier names some)."""
    rows = [requirement_row(check) for check in checks]
    slugs = {slug for row in rows for slug in row["certifications"]}
    if slugs:
        names = dict(Certification.objects.filter(slug__in=slugs).values_list("slug", "name"))
        for row in rows:
            row["certifications"] = [names.get(slug, slug) for slug in row["certifications"]]
    return rows


def tier_headline(requirements: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The way to the next tier in one line: how many of its requirements are met and the
    one furthest from met, whose share is the progress shown. A partner moves up only when
    every requirement is met, so no average stands for them: a mean of 100% deals and 14%
    revenue would say 57% while revenue is the only thing left to do. The share shown
    reaches 100% exactly when the partner qualifies. None without requirements."""
    if not requirements:
        return None
    unmet = [row for row in requirements if not row["met"]]
    weakest = min(unmet, key=lambda row: row["pct"]) if unmet else None
    return {
        "met": len(requirements) - len(unmet),
        "total": len(requirements),
        "weakest": weakest,
        # 99.6% of a requirement is not 100% of the way
        "pct": min(round(weakest["pct"]), 99) if weakest else 100,
    }


def requirement_row(check: dict[str, Any]) -> dict[str, Any]:
    """A next-tier requirement as the page shows it: label, numbers and a 0-100 bar."""
    meta = REQUIREMENT_LABELS.get(
        check["requirement"], {"label": check["requirement"], "unit": "", "icon": "check2"}
    )
    required, actual = check["required"], check["actual"]
    if check["met"]:
        pct = 100.0
    elif actual is None or not required:
        pct = 0.0
    else:
        pct = max(min(float(actual) / float(required) * 100, 100.0), 0.0)
    return {
        **meta,
        "requirement": check["requirement"],
        "required": required,
        "actual": actual if actual is not None else 0,
        "missing": check["missing"],
        "met": check["met"],
        "pct": round(pct, 1),
        "certifications": check.get("certifications", []),
    }


def goal_rows(*, partner, progress: dict[str, Any]) -> list[dict[str, Any]]:
    """Revenue and deals won over the last 12 months against the next tier's requirement
    (attainment in percent); without a next tier or a requirement, no target."""
    checks = {check["requirement"]: check for check in progress["requirements"]}
    goals = []
    for requirement, actual in (
        ("min_revenue_12m", partner.revenue_12m),
        ("min_deals_won_12m", partner.deals_won_12m),
    ):
        check = checks.get(requirement)
        target = check["required"] if check else None
        attainment = None
        if target:
            attainment = round(float(actual or 0) / float(target) * 100, 1)
        goals.append(
            {
                **REQUIREMENT_LABELS[requirement],
                "actual": actual or 0,
                "target": target,
                "attainment": attainment,
                "bar": min(attainment or 0, 100.0),
                "missing": check["missing"] if check else None,
                "met": check["met"] if check else None,
            }
        )
    return goals


def performance_chart(records: list[PerformanceRecord]) -> dict[str, Any]:
    """Monthly revenue (bars) and deals won (line, right axis), a Chart.js config."""
    return {
        "type": "bar",
        # Revenue axis and tooltips in money (PRM_CURRENCY, the reader's locale): app.js.
        "formats": {"y": "money"},
        "data": {
            "labels": [record.month.strftime("%b %Y") for record in records],
            "datasets": [
                {
                    "type": "bar",
                    "label": "Revenue",
                    "data": [float(record.revenue or Decimal(0)) for record in records],
                    "backgroundColor": "rgba(79, 70, 229, .75)",
                    "borderRadius": 4,
                    "maxBarThickness": 28,
                    "yAxisID": "y",
                    "order": 2,
                },
                {
                    "type": "line",
                    "label": "Deals won",
                    "data": [record.deals_won for record in records],
                    "borderColor": "#10b981",
                    "backgroundColor": "#10b981",
                    "borderWidth": 2,
                    "pointRadius": 3,
                    "cubicInterpolationMode": "monotone",
                    "yAxisID": "deals",
                    "order": 1,
                },
            ],
        },
        "options": {
            "animation": False,
            "interaction": {"mode": "index", "intersect": False},
            "plugins": {
                "legend": {
                    "position": "bottom",
                    "labels": {"boxWidth": 12, "usePointStyle": True},
                }
            },
            "scales": {
                "x": {"grid": {"display": False}},
                "y": {
                    "beginAtZero": True,
                    "grid": {"color": "rgba(15, 23, 42, .06)"},
                    "title": {"display": True, "text": "Revenue"},
                },
                "deals": {
                    "position": "right",
                    "beginAtZero": True,
                    "grid": {"display": False},
                    "ticks": {"precision": 0},
                    "title": {"display": True, "text": "Deals won"},
                },
            },
        },
    }
