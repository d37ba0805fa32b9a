import math

import pytest

from insights import selectors
from tests.insights.conftest import KPI_TODAY

pytestmark = pytest.mark.django_db


def _kpis(world, period_kind="month", periods=3):
    frame = selectors.segment_kpis(
        segment_ids=[world["segment"].id], period_kind=period_kind, periods=periods, today=KPI_TODAY
    )
    return {row["period"]: row for row in frame.to_dict("records")}


def test_segment_kpis_members_joins_and_leaves_follow_the_event_history(kpi_world):
    kpis = _kpis(kpi_world)

    assert list(kpis) == ["2026-01", "2026-02", "2026-03"]
    # End of Jan: A, B and C (C leaves on 10 Feb); D only counts from 15 Feb.
    assert kpis["2026-01"]["members"] == 3
    assert (kpis["2026-01"]["joins"], kpis["2026-01"]["leaves"]) == (2, 0)  # B and C joined
    # End of Feb and Mar: A, B and D.
    assert kpis["2026-02"]["members"] == 3
    assert (kpis["2026-02"]["joins"], kpis["2026-02"]["leaves"]) == (0, 1)  # C left
    assert kpis["2026-03"]["members"] == 3
    assert (kpis["2026-03"]["joins"], kpis["2026-03"]["leaves"]) == (0, 0)


def test_segment_kpis_revenue_median_growth_and_deals_match_the_hand_computed_values(kpi_world):
    kpis = _kpis(kpi_world)

    jan, feb, mar = kpis["2026-01"], kpis["2026-02"], kpis["2026-03"]
    # Jan, members A, B, C: period revenue 200 + 100 + 50; 12 months (Feb 2025 - Jan 2026):
    # A 1000 + 200 = 1200, B 100, C 50 -> total 1350, median 100; deals 2 + 1.
    assert jan["revenue"] == 350
    assert jan["revenue_12m_total"] == 1350
    assert jan["revenue_12m_median"] == 100
    assert jan["deals_won"] == 3
    assert math.isnan(jan["growth_pct"])  # no previous period in the window
    # Feb, members A, B, D: 300 + 100 + 0; 12 months: A 1500, B 200, D 0 -> 1700, median 200.
    assert feb["revenue"] == 400
    assert feb["revenue_12m_total"] == 1700
    assert feb["revenue_12m_median"] == 200
    assert feb["deals_won"] == 1
    assert feb["growth_pct"] == round((1700 - 1350) / 1350 * 100, 2)  # 25.93
    # Mar: 400 + 0 + 1000; 12 months (Apr 2025 - Mar 2026): A 1900, B 200, D 1000.
    assert mar["revenue"] == 1400
    assert mar["revenue_12m_total"] == 3100
    assert mar["revenue_12m_median"] == 1000
    assert mar["growth_pct"] == round((3100 - 1700) / 1700 * 100, 2)  # 82.35


def test_segment_kpis_enablement_certifications_and_campaign_rates(kpi_world):
    kpis = _kpis(kpi_world)

    jan, feb, mar = kpis["2026-01"], kpis["2026-02"], kpis["2026-03"]
    # Enrolled by the end of Jan: A's first and B's (completed 20 Jan) -> 1 of 2.
    assert jan["enablement_completion_pct"] == 50.0
    # By the end of Feb also A's second; A's first completed 10 Feb -> 2 of 3.
    assert feb["enablement_completion_pct"] == round(2 / 3 * 100, 2)
    assert mar["enablement_completion_pct"] == round(2 / 3 * 100, 2)
    # A's certification until 5 Mar, B's from 20 Feb.
    assert (jan["active_certifications"], feb["active_certifications"]) == (1, 2)
    assert mar["active_certifications"] == 1
    # Jan: 3 sent to members (A twice, C once; B's queued one does not count), 3 opened,
    # 1 clicked. Feb: one to A, not opened. Mar: none sent.
    assert (jan["messages_sent"], jan["open_rate_pct"]) == (3, 100.0)
    assert jan["click_rate_pct"] == round(1 / 3 * 100, 2)
    assert (feb["messages_sent"], feb["open_rate_pct"], feb["click_rate_pct"]) == (1, 0.0, 0.0)
    assert mar["messages_sent"] == 0 and math.isnan(mar["open_rate_pct"])


def test_segment_kpis_by_quarter_sum_the_months(kpi_world):
    kpis = _kpis(kpi_world, period_kind="quarter", periods=2)

    q1 = kpis["2026-Q1"]
    assert q1["members"] == 3  # A, B, D at the end of March
    # Jan-Mar of A (200 + 300 + 400), B (100 + 100) and D (1000).
    assert q1["revenue"] == 900 + 200 + 1000
    assert (q1["joins"], q1["leaves"]) == (2, 1)
    assert kpis["2025-Q4"]["members"] == 1  # only A by the end of 2025


def test_segment_kpis_take_a_constant_number_of_queries(kpi_world, django_assert_num_queries):
    with django_assert_num_queries(2):  # the segments, then one query for every KPI
        selectors.segment_kpis(period_kind="month", periods=12, today=KPI_TODAY)


def test_value_need_matrix_counts_quadrants_at_the_medians(db):
    from tests.partners.factories import PartnerFactory

    # value (revenue_12m) and need (100 - completion):
    # P1 (900, 90) invest, P2 (800, 10) grow, P3 (100, 80) develop, P4 (50, 5) maintain
    for name, revenue_12m, completion in (
        ("P1", 900, 10),
        ("P2", 800, 90),
        ("P3", 100, 20),
        ("P4", 50, 95),
    ):
        PartnerFactory(name=name, revenue_12m=revenue_12m, enablement_completion_pct=completion)

    matrix = selectors.value_need_matrix()

    assert matrix["value_median"] == (100 + 800) / 2
    assert matrix["need_median"] == (10 + 80) / 2
    assert matrix["quadrants"] == {"invest": 1, "grow": 1, "develop": 1, "maintain": 1}
    by_name = dict(zip(matrix["points"]["name"], matrix["points"]["quadrant"], strict=True))
    assert by_name == {"P1": "invest", "P2": "grow", "P3": "develop", "P4": "maintain"}
