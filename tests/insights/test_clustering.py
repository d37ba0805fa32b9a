import pytest

from insights.clustering import ClusteringError, cluster_partners
from partners.models import Partner
from segments.rules import compile_rule, validate_rule
from tests.partners.factories import PartnerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_groups(db):
    small = [
        PartnerFactory(revenue_12m=revenue, engagement_score=score, technologies=["aws"])
        for revenue, score in ((100_000, 10), (110_000, 12), (95_000, 8))
    ]
    large = [
        PartnerFactory(revenue_12m=revenue, engagement_score=score, technologies=["azure"])
        for revenue, score in ((1_000_000, 90), (1_100_000, 85), (950_000, 95))
    ]
    return {p.id for p in small}, {p.id for p in large}


def test_kmeans_finds_the_separated_groups_and_proposes_rules_selecting_exactly_them(two_groups):
    small, large = two_groups

    clusters = cluster_partners(
        numeric=["revenue_12m", "engagement_score"], tags=["technologies"], k=2
    )

    assert sorted(cluster.size for cluster in clusters) == [3, 3]
    assert {frozenset(cluster.partner_ids) for cluster in clusters} == {
        frozenset(small),
        frozenset(large),
    }
    for cluster in clusters:
        assert validate_rule(cluster.rule) == []
        assert cluster.rule_errors == []
        selected = set(
            Partner.objects.filter(compile_rule(cluster.rule)).values_list("id", flat=True)
        )
        assert selected == set(cluster.partner_ids)
        assert cluster.rule_matches == cluster.size
    small_cluster = next(c for c in clusters if set(c.partner_ids) == small)
    # The numbers' range of the cluster, and its common tag.
    assert {"field": "revenue_12m", "op": "between", "value": [95000, 110000]} in (
        small_cluster.rule["all"]
    )
    assert {"field": "engagement_score", "op": "between", "value": [8, 12]} in (
        small_cluster.rule["all"]
    )
    assert {"field": "technologies", "op": "has_any", "value": ["aws"]} in small_cluster.rule["all"]


def test_clusters_are_the_same_on_every_run(two_groups):
    first = cluster_partners(numeric=["revenue_12m"], tags=[], k=2)
    second = cluster_partners(numeric=["revenue_12m"], tags=[], k=2)

    assert [c.partner_ids for c in first] == [c.partner_ids for c in second]


@pytest.mark.parametrize(
    ("numeric", "tags", "k", "message"),
    [
        ([], [], 2, "choose at least one feature"),
        (["revenue_12m"], [], 1, "between 2 and"),
        (["password"], [], 2, "unknown features"),
        (["revenue_12m"], [], 7, "6 partners cannot form 7 clusters"),
    ],
)
def test_bad_choices_are_refused_with_a_reason(two_groups, numeric, tags, k, message):
    with pytest.raises(ClusteringError, match=message):
        cluster_partners(numeric=numeric, tags=tags, k=k)
