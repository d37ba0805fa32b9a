"""The channel manager's dashboard: its figures, its selectors, access and query counts."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from communications.models import CampaignStatus
from communications.selectors import campaign_performance_recent, campaign_status_counts
from enablement.selectors import enablement_completion_overview
from partners.models import LifecycleStage, PartnerType, Region
from partners.selectors import partner_breakdown
from prm.selectors import dashboard_figures
from segments.models import MembershipEvent, MembershipEventKind, Segment
from segments.selectors import segments_size_history
from segments.services import segment_evaluate
from tests.communications.factories import CampaignFactory, MessageFactory, OccurrenceFactory
from tests.partners.factories import ContactFactory, PartnerFactory, tier
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _program(size: int = 1) -> None:
    """Partners across tiers, types, regions and stages (`size` of each kind), with contacts,
    segments evaluated by the engine and a sent campaign."""
    for _ in range(size):
        PartnerFactory(
            tier=tier("gold"),
            partner_type=PartnerType.VAR,
            region=Region.EMEA,
            lifecycle_stage=LifecycleStage.ACTIVE,
            enablement_completion_pct=80,
        )
        PartnerFactory(
            tier=tier("silver"),
            partner_type=PartnerType.MSP,
            region=Region.NA,
            lifecycle_stage=LifecycleStage.ONBOARDING,
            enablement_completion_pct=20,
        )
        PartnerFactory(tier=None, partner_type=PartnerType.ISV, region=None)
        apac = PartnerFactory(region=Region.APAC)
        ContactFactory(partner=apac)
    for slug, rule in (
        ("emea", {"all": [{"field": "region", "op": "eq", "value": "emea"}]}),
        ("everyone", {"all": []}),
    ):
        segment = SegmentFactory(slug=slug, name=slug.title(), rule=rule)
        segment_evaluate(segment_id=segment.id)
    campaign = CampaignFactory(status=CampaignStatus.COMPLETED)
    occurrence = OccurrenceFactory(campaign=campaign)
    for index in range(size + 1):
        MessageFactory(
            occurrence=occurrence,
            contact=ContactFactory(partner=apac),
            opened_at=timezone.now() if index == 0 else None,
            clicked_at=None,
        )


def _get(client, manager, path="/dashboard/"):
    client.force_login(manager)
    return client.get(path)


# Access ------------------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/dashboard/"


def test_partner_user_is_forbidden(client, partner_user):
    client.force_login(partner_user)
    assert client.get("/dashboard/").status_code == 403


# The page --------------------------------------------------------------------------------


def test_dashboard_shows_headline_figures_for_known_data(client, manager):
    # given 4 partners (one active), 5 contacts in all, 2 segments, a scheduled campaign
    PartnerFactory(lifecycle_stage=LifecycleStage.ACTIVE, enablement_completion_pct=60)
    PartnerFactory(lifecycle_stage=LifecycleStage.DORMANT, enablement_completion_pct=30)
    PartnerFactory(lifecycle_stage=LifecycleStage.CHURNED)
    partner = PartnerFactory(lifecycle_stage=LifecycleStage.APPLICANT)
    for _ in range(5):
        ContactFactory(partner=partner)
    SegmentFactory(slug="a")
    SegmentFactory(slug="b", is_active=False)
    CampaignFactory(status=CampaignStatus.SCHEDULED)
    CampaignFactory(status=CampaignStatus.DRAFT)
    # when
    response = _get(client, manager)
    # then
    assert response.status_code == 200
    context = response.context
    assert context["nav"] == "dashboard"
    assert context["partners"]["total"] == 4
    assert context["partners"]["active"] == 1
    assert context["figures"]["contacts"] == 5
    assert len(context["figures"]["segments"]) == 2
    assert context["figures"]["segments_active"] == 1
    assert context["campaign_status"]["scheduled"] == 1
    assert context["enablement"]["average_pct"] == 45.0
    html = response.content.decode()
    assert 'data-stat="partners">4<' in html
    assert 'data-stat="completion">45.0%<' in html
    for chart_id in ("chart-tier", "chart-region", "chart-type", "chart-stage", "chart-completion"):
        assert f'data-chart="{chart_id}"' in html
        assert f'id="{chart_id}"' in html


def test_dashboard_charts_count_partners_by_tier_type_region_and_stage(client, manager):
    _program(size=2)
    response = _get(client, manager)
    charts = response.context["charts"]

    def counts(chart):
        return dict(zip(chart["data"]["labels"], chart["data"]["datasets"][0]["data"], strict=True))

    assert counts(charts["tier"])["Gold"] == 2
    assert counts(charts["tier"])["Silver"] == 2
    assert counts(charts["tier"])["Not set"] == 4  # the ISV and the APAC partners
    assert counts(charts["type"])["MSP"] == 2
    assert counts(charts["region"])["Europe, Middle East and Africa"] == 2
    assert counts(charts["region"])["Asia-Pacific"] == 2
    assert counts(charts["region"])["Not set"] == 2
    assert counts(charts["stage"])["Onboarding"] == 2
    assert counts(charts["stage"])["Active"] == 6


def test_dashboard_lists_largest_segments_and_their_trend(client, manager):
    _program()
    response = _get(client, manager)
    largest = response.context["largest_segments"]
    assert [segment["slug"] for segment in largest] == ["everyone", "emea"]
    assert largest[0]["member_count"] == 4
    trend = response.context["charts"]["trend"]
    assert [dataset["label"] for dataset in trend["data"]["datasets"]] == ["Everyone", "Emea"]
    assert len(trend["data"]["labels"]) == 30
    assert trend["data"]["datasets"][0]["data"][-1] == 4


def test_dashboard_trend_period_switches_to_90_days_and_ignores_bad_values(client, manager):
    _program()
    client.force_login(manager)
    assert (
        len(client.get("/dashboard/?trend=90").context["charts"]["trend"]["data"]["labels"]) == 90
    )
    response = client.get("/dashboard/?trend=banana")
    assert response.status_code == 200
    assert response.context["trend_days"] == 30


def test_dashboard_lists_engine_warnings_with_links_to_the_segments(client, manager, settings):
    # given a tiny evaluated segment and two identical ones (overlap)
    settings.PRM_SEGMENT_MIN_MEMBERS = 10
    _program()
    segment = Segment.objects.get(slug="emea")
    # when
    response = _get(client, manager)
    # then
    warnings = response.context["warnings"]
    tiny = [w for w in warnings if w["kind"] == "tiny" and w["segment"]["slug"] == "emea"]
    assert tiny and tiny[0]["segment_url"] == f"/segments/{segment.pk}/"
    assert any(w["kind"] == "overlap" for w in warnings)
    html = response.content.decode()
    assert f'href="/segments/{segment.pk}/"' in html
    assert 'data-warning="tiny"' in html


def test_dashboard_warns_about_over_segmentation(client, manager, settings):
    settings.PRM_SEGMENT_BUDGET = 1
    SegmentFactory(slug="one")
    SegmentFactory(slug="two")
    response = _get(client, manager)
    assert any(w["kind"] == "over_segmentation" for w in response.context["warnings"])
    assert "more than the budget of 1" in response.content.decode()


def test_dashboard_shows_campaign_performance(client, manager):
    # given a completed campaign: 4 e-mails sent, 2 opened, 1 clicked
    campaign = CampaignFactory(name="Spring launch", status=CampaignStatus.COMPLETED)
    occurrence = OccurrenceFactory(campaign=campaign)
    now = timezone.now()
    MessageFactory(occurrence=occurrence, opened_at=now, clicked_at=now)
    MessageFactory(occurrence=occurrence, opened_at=now)
    MessageFactory(occurrence=occurrence)
    MessageFactory(occurrence=occurrence)
    CampaignFactory(name="Draft idea", status=CampaignStatus.DRAFT)
    # when
    response = _get(client, manager)
    # then drafts are left out and the rates are over e-mails sent
    [row] = response.context["campaigns"]
    assert (row["name"], row["sent"], row["open_rate"], row["click_rate"]) == (
        "Spring launch",
        4,
        0.5,
        0.25,
    )
    html = response.content.decode()
    assert "Spring launch" in html and "50.0%" in html and "25.0%" in html
    assert "Draft idea" not in html


def test_dashboard_renders_empty_states_without_data(client, manager):
    response = _get(client, manager)
    assert response.status_code == 200
    html = response.content.decode()
    assert "No active segments yet" in html
    assert "No campaigns have gone out yet" in html
    assert "All clear" in html


def test_dashboard_runs_a_constant_number_of_queries(client, manager):
    client.force_login(manager)
    _program(size=1)
    with CaptureQueriesContext(connection) as small:
        assert client.get("/dashboard/").status_code == 200
    cache.clear()
    _program(size=6)
    with CaptureQueriesContext(connection) as large:
        assert client.get("/dashboard/").status_code == 200
    assert len(large) == len(small)
    assert len(small) <= 16


def test_dashboard_figures_are_cached_for_a_minute(client, manager):
    client.force_login(manager)
    _program()
    client.get("/dashboard/")
    with CaptureQueriesContext(connection) as cached:
        client.get("/dashboard/")
    assert len(cached) <= 3  # session, user and nothing else of substance
    PartnerFactory()
    assert client.get("/dashboard/").context["partners"]["total"] == 4


# Selectors -------------------------------------------------------------------------------


def test_partner_breakdown_counts_every_choice_and_not_set():
    PartnerFactory(tier=tier("gold"), region=Region.EMEA, partner_type=PartnerType.VAR)
    PartnerFactory(tier=None, region=None, partner_type=PartnerType.SI)
    breakdown = partner_breakdown()
    assert breakdown["total"] == 2
    by_region = {item["key"]: item["count"] for item in breakdown["by_region"]}
    assert by_region == {"na": 0, "latam": 0, "emea": 1, "apac": 0, None: 1}
    by_tier = {item["label"]: item["count"] for item in breakdown["by_tier"]}
    assert by_tier["Gold"] == 1 and by_tier["Not set"] == 1 and by_tier["Platinum"] == 0


def test_segments_size_history_rebuilds_daily_sizes_from_events():
    # given a segment created 10 days ago: 5 joined 5 days ago, 2 left 2 days ago -> 3 now
    today = timezone.localdate()
    segment = SegmentFactory(slug="history")
    created = timezone.now() - dt.timedelta(days=10)
    Segment.objects.filter(pk=segment.pk).update(created_at=created, member_count=3)
    partners = [PartnerFactory() for _ in range(5)]

    def noon(days_ago):
        day = today - dt.timedelta(days=days_ago)
        return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))

    for partner in partners:
        MembershipEvent.objects.create(
            segment=segment, partner=partner, kind=MembershipEventKind.JOINED, at=noon(5)
        )
    for partner in partners[:2]:
        MembershipEvent.objects.create(
            segment=segment, partner=partner, kind=MembershipEventKind.LEFT, at=noon(2)
        )
    row = {"id": segment.pk, "member_count": 3, "created_at": created}
    # when
    points = segments_size_history(segments=[row], days=14)[segment.pk]
    # then
    sizes = {(today - point["date"]).days: point["members"] for point in points}
    assert len(points) == 14 and points[-1]["date"] == today
    assert sizes[13] is None and sizes[11] is None  # before the segment existed
    assert sizes[10] == 0 and sizes[6] == 0
    assert sizes[5] == 5 and sizes[3] == 5
    assert sizes[2] == 3 and sizes[0] == 3


def test_enablement_completion_overview_bands_partners_overall_and_by_tier():
    PartnerFactory(tier=tier("gold"), enablement_completion_pct=90)
    PartnerFactory(tier=tier("gold"), enablement_completion_pct=50)
    PartnerFactory(tier=tier("silver"), enablement_completion_pct=10)
    PartnerFactory(tier=tier("silver"), enablement_completion_pct=None)
    overview = enablement_completion_overview()
    assert overview["average_pct"] == 50.0
    assert overview["measured_partners"] == 3
    assert {band["key"]: band["partners"] for band in overview["bands"]} == {
        "none": 1,
        "low": 1,
        "some": 0,
        "most": 1,
        "high": 1,
    }
    by_tier = {row["tier"]: row for row in overview["by_tier"]}
    assert by_tier["Gold"]["average_pct"] == 70.0
    assert by_tier["Silver"]["bands"]["none"] == 1
    assert "No tier" not in by_tier


def test_campaign_status_counts_and_recent_performance():
    CampaignFactory(status=CampaignStatus.SCHEDULED)
    CampaignFactory(status=CampaignStatus.SCHEDULED)
    CampaignFactory(status=CampaignStatus.PAUSED)
    counts = campaign_status_counts()
    assert counts["scheduled"] == 2 and counts["paused"] == 1 and counts["completed"] == 0
    recent = campaign_performance_recent(limit=2)
    assert len(recent) == 2
    assert all(row["sent"] == 0 and row["open_rate"] is None for row in recent)


def test_dashboard_figures_reject_an_unknown_trend_period():
    with pytest.raises(ValueError):
        dashboard_figures(trend_days=7)
