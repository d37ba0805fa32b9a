"""Deal pipeline and win rate per segment (insights.selectors.deals and /insights/deals/), on
hand-made figures; run on SQLite too by test_on_sqlite."""

import datetime as dt
import re
from decimal import Decimal

import pandas as pd
import pytest
from django.urls import reverse
from django.utils import timezone

from deals import stats
from deals.models import DealStatus, PartnerDealStats
from insights import selectors
from segments.models import Membership, SegmentKind
from tests.deals.factories import DealRegistrationFactory
from tests.partners.factories import PartnerFactory
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db


def _figures(partner, *, amount, count, won=0, lost=0, registered=0, approved=0):
    closed = won + lost
    PartnerDealStats.objects.create(
        partner=partner,
        deals_registered_12m=registered,
        deals_approved_12m=approved,
        won_12m=won,
        lost_12m=lost,
        deal_win_rate_12m=Decimal(won * 100 / closed).quantize(Decimal("0.01")) if closed else None,
        open_pipeline_amount=Decimal(amount),
        open_pipeline_count=count,
        refreshed_at=timezone.now(),
    )


def _segment(name, partners):
    segment = SegmentFactory(name=name, kind=SegmentKind.STATIC, rule=None)
    for partner in partners:
        Membership.objects.create(segment=segment, partner=partner, joined_at=timezone.now())
    return segment


@pytest.fixture
def pipeline_world(db):
    """Resellers: A (2 open, 1,000.50; 3 won 1 lost), B (1 open, 500; 0 won 1 lost),
    C (no figures). Quiet: C only. Empty: nobody."""
    a, b, c = (PartnerFactory(name=name) for name in ("A", "B", "C"))
    _figures(a, amount="1000.50", count=2, won=3, lost=1, registered=7, approved=5)
    _figures(b, amount="500", count=1, lost=1, registered=2, approved=1)
    return {
        "resellers": _segment("Resellers", [a, b, c]),
        "quiet": _segment("Quiet", [c]),
        "empty": _segment("Empty", []),
    }


def test_pipeline_and_win_rate_per_segment_match_the_hand_computed_figures(pipeline_world):
    frame = selectors.segment_deal_pipeline()
    rows = {row["segment"]: row for row in frame.to_dict("records")}

    assert list(frame["segment"]) == ["Empty", "Quiet", "Resellers"]  # by name
    resellers = rows["Resellers"]
    assert resellers["members"] == 3
    assert resellers["partners_with_pipeline"] == 2
    assert resellers["open_deals"] == 3
    assert resellers["open_amount"] == 1500.50
    assert resellers["open_amount_per_member"] == round(1500.50 / 3, 2)
    assert (resellers["registered_12m"], resellers["approved_12m"]) == (9, 6)
    # the segment's own rate: 3 won of 5 closed, not the mean of 75 % and 0 %
    assert (resellers["won_12m"], resellers["lost_12m"]) == (3, 2)
    assert resellers["win_rate_pct"] == 60.0
    # a member without figures counts as a member with nothing open, and no closed deal
    # leaves the rate empty
    quiet = rows["Quiet"]
    assert (quiet["members"], quiet["open_deals"], quiet["open_amount"]) == (1, 0, 0.0)
    assert pd.isna(quiet["win_rate_pct"])
    empty = rows["Empty"]
    assert (empty["members"], empty["open_amount"]) == (0, 0.0)
    assert pd.isna(empty["open_amount_per_member"])


def test_only_the_given_segments_and_two_queries(pipeline_world, django_assert_num_queries):
    with django_assert_num_queries(2):
        frame = selectors.segment_deal_pipeline(segment_ids=[pipeline_world["quiet"].id])
    assert frame["segment"].tolist() == ["Quiet"]


def test_the_figures_the_refresh_writes_reach_the_segment(db, settings):
    # given registrations of a member, refreshed as the services do
    settings.PRM_CURRENCY = "USD"
    settings.PRM_DEAL_EXCHANGE_RATES = {"EUR": "2"}
    partner = PartnerFactory()
    now = timezone.now()
    DealRegistrationFactory(
        partner=partner, status=DealStatus.SUBMITTED, amount=Decimal("100"), currency="EUR",
        submitted_at=now,
    )  # fmt: skip
    DealRegistrationFactory(
        partner=partner, status=DealStatus.WON, amount=Decimal("300"), currency="USD",
        submitted_at=now, decided_at=now, closed_at=now,
    )  # fmt: skip
    DealRegistrationFactory(
        partner=partner, status=DealStatus.APPROVED, amount=Decimal("50"), currency="USD",
        submitted_at=now, decided_at=now,
        protection_ends_on=timezone.localdate() + dt.timedelta(days=3),
    )  # fmt: skip
    stats.deal_stats_refresh(partner_ids=[partner.id])
    segment = _segment("Mine", [partner])
    # when
    (row,) = selectors.segment_deal_pipeline(segment_ids=[segment.id]).to_dict("records")
    # then
    assert (row["open_deals"], row["open_amount"]) == (2, 250.0)
    assert (row["registered_12m"], row["approved_12m"], row["won_12m"]) == (3, 2, 1)
    assert row["win_rate_pct"] == 100.0


def test_the_deals_tab_shows_the_pipeline_in_money_and_the_rate(client, manager, pipeline_world):
    client.force_login(manager)

    response = client.get(reverse("insights:deals"))

    assert response.status_code == 200
    content = response.content.decode()
    assert '<a href="/insights/deals/" class="nav-link active">' in content or (
        'class="nav-link active" href="/insights/deals/"' in content
    )
    table = re.search(r'<table[^>]*id="deal-pipeline-table".*?</table>', content, re.S).group(0)
    rows = {
        cells[0]: cells[1:]
        for cells in (
            re.findall(r"<td[^>]*>(.*?)</td>", line, re.S)
            for line in re.findall(r"<tr>(.*?)</tr>", table, re.S)
        )
        if cells
    }
    resellers = next(cells for name, cells in rows.items() if "Resellers" in name)
    # members, with pipeline, open deals, amount, per member, registered, approved, won, lost, %
    assert resellers == ["3", "2", "3", "$1,501", "$500", "9", "6", "3", "2", "60.0"]
    quiet = next(cells for name, cells in rows.items() if "Quiet" in name)
    assert quiet[-1] == "\N{EN DASH}"
