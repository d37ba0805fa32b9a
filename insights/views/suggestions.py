"""Suggested segments: k-means clusters proposed as editable rules."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pandas as pd
from django.urls import reverse

from insights import charts, clustering
from insights.views.base import BadInput, InsightsView, int_param, segment_param
from segments.models import Segment


def _describe_condition(condition: dict[str, Any]) -> str:
    """ "Revenue (last 12 months) between 100000 and 250000" for a proposed condition."""
    labels = {**clustering.CLUSTER_NUMERIC_FEATURES, **clustering.CLUSTER_TAG_FEATURES}
    value = condition["value"]
    if condition["op"] == "between":
        return f"{labels[condition['field']]} between {value[0]:,} and {value[1]:,}"
    return f"{labels[condition['field']]} has any of {', '.join(value)}"


class SuggestionsView(InsightsView):
    """/insights/suggestions/?numeric=…&tags=…&k=…: k-means clusters of the partners, each
    proposed as an editable segment rule with its size."""

    template_name = "insights/suggestions.html"
    tables = ("suggested-segments",)

    def choices(self) -> tuple[list[str], list[str], int, int | None]:
        features = clustering.feature_choices()
        numeric = self.request.GET.getlist("numeric")
        tags = self.request.GET.getlist("tags")
        unknown = [name for name in numeric if name not in features["numeric"]] + [
            name for name in tags if name not in features["tags"]
        ]
        if unknown:
            raise BadInput(f"unknown features: {', '.join(unknown)}")
        k = int_param(
            self.request.GET.get("k"), name="k", default=4, low=2, high=clustering.MAX_CLUSTERS
        )
        return numeric, tags, k, segment_param(self.request)

    def clusters(self) -> list[clustering.Cluster]:
        numeric, tags, k, segment_id = self.choices()
        if not numeric and not tags:
            return []
        return clustering.cluster_partners(numeric=numeric, tags=tags, k=k, segment_id=segment_id)

    def table(self, name: str) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "cluster": cluster.number,
                    "size": cluster.size,
                    "rule_matches": cluster.rule_matches,
                    "rule": json.dumps(cluster.rule),
                    **{f"median_{key}": value for key, value in cluster.profile.items()},
                    "tags": "; ".join(cluster.tags),
                }
                for cluster in self.clusters()
            ]
        )

    def context(self) -> dict[str, Any]:
        numeric, tags, k, segment_id = self.choices()
        clusters = self.clusters()
        builder = reverse("segments:create")
        rows = [
            {
                "cluster": cluster,
                "rule_json": json.dumps(cluster.rule),
                "rule_lines": [_describe_condition(condition) for condition in cluster.rule["all"]],
                "create_url": builder
                + "?"
                + urlencode(
                    {
                        "rule": json.dumps(cluster.rule),
                        "name": f"Suggested cluster {cluster.number}",
                        "objective": "Suggested by insights (k-means on "
                        + ", ".join(numeric + tags)
                        + ").",
                    }
                ),
            }
            for cluster in clusters
        ]
        return {
            "features": clustering.feature_choices(),
            "numeric": numeric,
            "tags": tags,
            "k": k,
            "segment_id": segment_id,
            "segments": list(Segment.objects.order_by("name").values("id", "name")),
            "rows": rows,
            "chart": charts.cluster_sizes(clusters) if clusters else None,
            "downloads": self.downloads("suggested-segments"),
        }
