"""The registrations as CSV (the manager list's "Export CSV", through the API): one row per
registration, streamed a chunk at a time, texts a spreadsheet would run made inert."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from deals.models import DealRegistration
from partners.exports import CONTENT_TYPES, csv_chunks, escape_formula

COLUMNS = [
    "id",
    "state",
    "partner_id",
    "partner",
    "partner_external_id",
    "tier",
    "customer",
    "customer_domain",
    "customer_country",
    "opportunity",
    "products",
    "amount",
    "currency",
    "expected_close_date",
    "submitted_at",
    "review_due_at",
    "overdue",
    "decided_at",
    "decision_reason",
    "protection_ends_on",
    "incentive_rule",
    "discount_pct",
    "rebate_pct",
    "has_conflict",
    "conflicts",
]
CHUNK_SIZE = 2000


def _iso(value) -> str:
    return value.isoformat() if value else ""


def deals_export_rows(*, queryset: QuerySet[DealRegistration]) -> Iterator[list]:
    """The header, then a row per registration of `queryset` (deals.selectors.deal_list: its
    partner, tier and account joined, overdue flag and conflict count annotated); products are
    fetched a chunk at a time."""
    yield COLUMNS
    rows = queryset.select_related("incentive_rule").prefetch_related("technologies")
    for deal in rows.iterator(chunk_size=CHUNK_SIZE):
        tier = deal.partner.tier
        cells = [
            deal.pk,
            deal.status,
            deal.partner_id,
            deal.partner.name,
            deal.partner.external_id or "",
            tier.slug if tier else "",
            deal.account.name,
            deal.account.domain,
            deal.account.country.code if deal.account.country else "",
            deal.name,
            ";".join(sorted(tag.slug for tag in deal.technologies.all())),
            deal.amount,
            deal.currency,
            _iso(deal.expected_close_date),
            _iso(deal.submitted_at),
            _iso(deal.review_due_at),
            "yes" if getattr(deal, "is_overdue", False) else "no",
            _iso(deal.decided_at),
            deal.decision_reason,
            _iso(deal.protection_ends_on),
            deal.incentive_rule.name if deal.incentive_rule_id else "",
            "" if deal.discount_pct is None else deal.discount_pct,
            "" if deal.rebate_pct is None else deal.rebate_pct,
            "yes" if deal.has_conflict else "no",
            getattr(deal, "conflict_count", 0),
        ]
        yield [escape_formula(cell) for cell in cells]


def deals_export_response(*, queryset: QuerySet[DealRegistration]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        csv_chunks(deals_export_rows(queryset=queryset)), content_type=CONTENT_TYPES["csv"]
    )
    filename = f"deal-registrations-{timezone.localdate():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
