"""Suggested segments: k-means over partners' standardised numbers and one-hot tags, each
cluster proposed as an editable segment rule.

A cluster's rule has, per chosen number, `between` the cluster's lowest and highest value
(rounded outward, so every member of the cluster passes; the inter-quartile range would leave
half of them out), and per tag field `has_any` of the tags that most of its members carry.
Numbers that some members lack are left out of the rule (a between never matches an empty
value). The rule is checked with the segment rule validator and its size counted by the
segment preview, so the manager sees how close the rule comes to the cluster.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from insights.selectors import CLUSTER_NUMERIC_FEATURES, CLUSTER_TAG_FEATURES, partner_features
from segments.rules import validate_rule
from segments.selectors import segment_preview

MAX_CLUSTERS = 12
DOMINANT_TAG_SHARE = 0.5
RANDOM_STATE = 0
# Three k-means++ starts, the best kept: ten (the classic default) took 3.9 s against 1.2 s
# for three on 5,000 partners (`manage.py bench_insights`), for a page a manager waits on.
N_INIT = 3


class ClusteringError(ValueError):
    """The chosen features or k cannot be clustered (a message for the manager)."""


@dataclass
class Cluster:
    number: int
    size: int
    rule: dict[str, Any]
    rule_errors: list[dict[str, str]]
    rule_matches: int | None
    profile: dict[str, float]
    tags: list[str]
    partner_ids: list[int] = field(repr=False)


def _round_down(value: float) -> float:
    return math.floor(value * 100) / 100


def _round_up(value: float) -> float:
    return math.ceil(value * 100) / 100


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def cluster_partners(
    *, numeric: list[str], tags: list[str], k: int, segment_id: int | None = None
) -> list[Cluster]:
    """k clusters of the partners (of a segment, or all) on the chosen features, largest
    first, each with its proposed rule, that rule's errors (none expected) and match count."""
    if not numeric and not tags:
        raise ClusteringError("choose at least one feature")
    if not 2 <= k <= MAX_CLUSTERS:
        raise ClusteringError(f"the number of clusters must be between 2 and {MAX_CLUSTERS}")
    try:
        numbers, tag_frame = partner_features(numeric=numeric, tags=tags, segment_id=segment_id)
    except ValueError as error:
        raise ClusteringError(str(error)) from None
    if len(numbers) < k:
        raise ClusteringError(f"{len(numbers)} partners cannot form {k} clusters")
    # Imported here: scikit-learn takes seconds to import, which every web process would
    # otherwise pay at start-up through the URLconf.
    from sklearn.cluster import KMeans
    from sklearn.preprocessing import StandardScaler

    # A missing number sits at the median, so that it pulls no cluster anywhere.
    filled = numbers.fillna(numbers.median()).fillna(0.0)
    scaled = StandardScaler().fit_transform(filled) if numeric else np.empty((len(numbers), 0))
    matrix = np.hstack([scaled, tag_frame.to_numpy(dtype=float)])
    labels = KMeans(n_clusters=k, random_state=RANDOM_STATE, n_init=N_INIT).fit_predict(matrix)
    clusters = []
    for label in sorted(set(labels)):
        members = numbers.index[labels == label]
        clusters.append(_describe(label, numbers.loc[members], tag_frame.loc[members], tags))
    clusters.sort(key=lambda cluster: (-cluster.size, cluster.number))
    for number, cluster in enumerate(clusters, start=1):
        cluster.number = number
    return clusters


def _describe(label: int, numbers: pd.DataFrame, tag_frame: pd.DataFrame, tag_fields: list[str]):
    conditions: list[dict[str, Any]] = []
    profile = {}
    for column in numbers.columns:
        values = numbers[column]
        profile[column] = float(values.median()) if values.notna().any() else float("nan")
        if values.isna().any():
            continue
        low, high = _round_down(values.min()), _round_up(values.max())
        conditions.append(
            {"field": column, "op": "between", "value": [_number(low), _number(high)]}
        )
    dominant = []
    shares = tag_frame.mean() if not tag_frame.empty else pd.Series(dtype=float)
    for tag_field in tag_fields:
        prefix = f"{tag_field}:"
        slugs = [
            column.removeprefix(prefix)
            for column, share in shares.items()
            if column.startswith(prefix) and share >= DOMINANT_TAG_SHARE
        ]
        if slugs:
            conditions.append({"field": tag_field, "op": "has_any", "value": sorted(slugs)})
            dominant.extend(f"{tag_field}: {slug}" for slug in sorted(slugs))
    rule = {"all": conditions}
    errors = validate_rule(rule)
    matches = None if errors else segment_preview(rule=rule, sample_size=0)["count"]
    return Cluster(
        number=int(label),
        size=len(numbers),
        rule=rule,
        rule_errors=errors,
        rule_matches=matches,
        profile=profile,
        tags=dominant,
        partner_ids=[int(pk) for pk in numbers.index],
    )


def feature_choices() -> dict[str, dict[str, str]]:
    """The features a manager may cluster on, with their labels."""
    return {"numeric": dict(CLUSTER_NUMERIC_FEATURES), "tags": dict(CLUSTER_TAG_FEATURES)}
