"""Partner features for clustering (suggested segments)."""

from __future__ import annotations

import pandas as pd

from partners.models import (
    Industry,
    Partner,
    Technology,
)

CLUSTER_NUMERIC_FEATURES = {
    "revenue_12m": "Revenue (last 12 months)",
    "deals_won_12m": "Deals won (last 12 months)",
    "engagement_score": "Engagement score",
    "enablement_completion_pct": "Enablement completed (%)",
    "employee_count": "Employees",
    "annual_revenue": "Annual revenue",
    "tech_savviness": "Tech savviness",
}
CLUSTER_TAG_FEATURES = {"industries": "Industries", "technologies": "Technologies"}


def partner_features(
    *, numeric: list[str], tags: list[str], segment_id: int | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(numbers, tags) for clustering: one row per partner (index = partner id) with the
    chosen numeric profile fields (null stays NaN), and one 0/1 column per `<field>:<slug>` tag
    the partners carry. One query for the numbers and one per tag field."""
    unknown = (set(numeric) - set(CLUSTER_NUMERIC_FEATURES)) | (
        set(tags) - set(CLUSTER_TAG_FEATURES)
    )
    if unknown:
        raise ValueError(f"unknown features: {', '.join(sorted(unknown))}")
    partners = Partner.objects.order_by("id")
    if segment_id is not None:
        partners = partners.filter(memberships__segment_id=segment_id)
    numbers = pd.DataFrame(
        list(partners.values("id", *numeric)), columns=["id", *numeric]
    ).set_index("id")
    numbers = numbers.astype(float)
    tag_columns = []
    for field in tags:
        model = {"industries": Industry, "technologies": Technology}[field]
        through = getattr(Partner, field).through
        tag_key = f"{model._meta.model_name}__slug"
        rows = through.objects.filter(partner_id__in=partners.values("id")).values_list(
            "partner_id", tag_key
        )
        frame = pd.DataFrame(list(rows), columns=["id", "slug"])
        if frame.empty:
            continue
        frame["column"] = field + ":" + frame["slug"]
        tag_columns.append(pd.crosstab(frame["id"], frame["column"]).clip(upper=1))
    tag_frame = pd.concat(tag_columns, axis=1) if tag_columns else pd.DataFrame(index=numbers.index)
    tag_frame = tag_frame.reindex(numbers.index, fill_value=0).fillna(0).astype(int)
    return numbers, tag_frame


def partner_names(*, partner_ids: list[int]) -> dict[int, str]:
    """{partner id: name} for a few partners (a page of a table); one query."""
    return dict(Partner.objects.filter(pk__in=partner_ids).values_list("id", "name"))
