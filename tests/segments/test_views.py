"""The segment pages of the manager portal: list, builder and preview, segment page and its
actions, overlap heatmap, and the partner-page panel."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partners.models import PartnerType, Region
from partners.panels import partner_panels
from segments import services
from segments.models import (
    EvaluationRun,
    EvaluationStatus,
    Membership,
    MembershipEvent,
    Segment,
    SegmentKind,
)
from tests.partners.factories import PartnerFactory, tier
from tests.segments.factories import MembershipFactory, SegmentFactory, StaticSegmentFactory

pytestmark = pytest.mark.django_db

EMEA_RULE = {"all": [{"field": "region", "op": "eq", "value": "emea"}]}


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.fixture
def staff_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def segment(db):
    return SegmentFactory(name="EMEA partners", slug="emea", rule=EMEA_RULE)


def _page_urls(segment, partner):
    return [
        reverse("segments:list"),
        reverse("segments:create"),
        reverse("segments:overlap"),
        reverse("segments:detail", args=[segment.pk]),
        reverse("segments:update", args=[segment.pk]),
        reverse("segments:delete", args=[segment.pk]),
        reverse("segments:explain-search", args=[segment.pk]) + "?q=Partner",
        reverse("segments:explain", args=[segment.pk]) + f"?partner={partner.pk}",
        reverse("segments:partner-panel", args=[partner.pk]),
    ]


def _post_urls(segment):
    return [
        reverse("segments:preview"),
        reverse("segments:evaluate", args=[segment.pk]),
        reverse("segments:members-change", args=[segment.pk]),
        reverse("segments:delete", args=[segment.pk]),
        reverse("segments:create"),
        reverse("segments:update", args=[segment.pk]),
    ]


# ---------------------------------------------------------------------------------------
# Access
# ---------------------------------------------------------------------------------------


def test_every_page_sends_anonymous_visitors_to_login(client, segment):
    partner = PartnerFactory()
    for url in _page_urls(segment, partner):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith("/accounts/login/?next="), url
    for url in _post_urls(segment):
        assert client.post(url).status_code == 302, url
    assert Segment.objects.filter(pk=segment.pk).exists()


def test_every_page_refuses_partner_users(client, partner_user, segment):
    client.force_login(partner_user)
    partner = PartnerFactory()
    for url in _page_urls(segment, partner):
        assert client.get(url).status_code == 403, url
    for url in _post_urls(segment):
        assert client.post(url, {"rule": "{}"}).status_code == 403, url
    assert Segment.objects.filter(pk=segment.pk).exists()
    assert not EvaluationRun.objects.exists()


def test_every_page_renders_for_a_manager(staff_client, segment):
    partner = PartnerFactory(name="Partner Alpha")
    for url in _page_urls(segment, partner):
        assert staff_client.get(url).status_code == 200, url


def test_unknown_segment_is_404(staff_client):
    for name in ("segments:detail", "segments:update", "segments:delete"):
        assert staff_client.get(reverse(name, args=[999999])).status_code == 404


# ---------------------------------------------------------------------------------------
# List
# ---------------------------------------------------------------------------------------


def test_list_shows_segments_with_size_status_and_owner(staff_client, manager):
    SegmentFactory(name="Gold resellers", member_count=42, owner=manager)
    SegmentFactory(name="Broken one", consecutive_failures=2, last_error="boom: timeout")
    StaticSegmentFactory(name="Hand picked")
    response = staff_client.get(reverse("segments:list"))
    html = response.content.decode()
    assert response.context["nav"] == "segments"
    assert [s.name for s in response.context["segments"]] == [
        "Broken one",
        "Gold resellers",
        "Hand picked",
    ]
    assert "42" in html and "manager" in html
    assert "Failing" in html and "boom: timeout" in html
    assert "Static" in html


def test_list_filters_with_the_shared_filterset_and_search(staff_client):
    SegmentFactory(name="Gold resellers", objective="Upsell gold")
    SegmentFactory(name="Failing one", consecutive_failures=1)
    StaticSegmentFactory(name="Hand picked")

    def names(query):
        response = staff_client.get(reverse("segments:list") + query)
        return {segment.name for segment in response.context["segments"]}

    assert names("?kind=static") == {"Hand picked"}
    assert names("?failing=true") == {"Failing one"}
    assert names("?is_active=false") == set()
    assert names("?q=upsell") == {"Gold resellers"}
    assert names("?sort=-created_at") == {"Gold resellers", "Failing one", "Hand picked"}


def test_list_with_invalid_filters_is_not_an_error(staff_client):
    SegmentFactory(name="Any")
    response = staff_client.get(reverse("segments:list") + "?kind=bogus&sort=nope&page=abc")
    assert response.status_code == 200


def test_list_runs_a_constant_number_of_queries(staff_client, manager):
    for _ in range(3):
        SegmentFactory(owner=manager)
    few = _count_queries(staff_client, reverse("segments:list"))
    for _ in range(27):
        SegmentFactory(owner=manager)
    many = _count_queries(staff_client, reverse("segments:list"))
    assert many == few


# ---------------------------------------------------------------------------------------
# Builder and preview
# ---------------------------------------------------------------------------------------


def test_builder_page_carries_the_field_catalogue_and_options(staff_client):
    SegmentFactory(name="Other", slug="other")
    response = staff_client.get(reverse("segments:create"))
    html = response.content.decode()
    assert 'id="builder-fields"' in html and 'id="segment-builder"' in html
    fields = {entry["name"]: entry for entry in response.context["catalogue"]}
    assert fields["region"]["group"] == "Profile"
    assert fields["tier"]["choices"][0]["value"] == "registered"
    assert {"slug": "other", "name": "Other"} in response.context["options"]["segments"]
    assert "segment_builder.js" in html


def _form(**overrides):
    data = {
        "name": "EMEA VARs",
        "objective": "Invite EMEA VARs to the summit",
        "description": "",
        "kind": "dynamic",
        "refresh_interval_minutes": "60",
        "is_active": "on",
        "rule": json.dumps(EMEA_RULE),
    }
    data.update(overrides)
    return data


def test_create_saves_through_the_service_and_lands_on_the_segment_page(
    staff_client, manager, django_capture_on_commit_callbacks
):
    PartnerFactory(region=Region.EMEA)
    PartnerFactory(region=Region.APAC)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("segments:create"), _form())
    segment = Segment.objects.get(name="EMEA VARs")
    assert response.status_code == 302
    assert response.url == reverse("segments:detail", args=[segment.pk])
    assert segment.owner == manager
    assert segment.slug == "emea-vars"
    assert segment.rule == EMEA_RULE
    # evaluated on commit (tasks run eagerly in tests)
    assert segment.memberships.count() == 1


def test_create_without_objective_shows_the_error_and_saves_nothing(staff_client):
    response = staff_client.post(reverse("segments:create"), _form(objective="  "))
    assert response.status_code == 400
    assert "objective" in response.context["form"].errors
    assert not Segment.objects.exists()


def test_create_with_an_invalid_rule_keeps_each_error_with_its_path(staff_client):
    rule = {
        "all": [
            {"field": "region", "op": "eq", "value": "emea"},
            {"field": "employee_count", "op": "gte", "value": "many"},
            {"field": "segment", "op": "in", "value": ["no-such-segment"]},
        ]
    }
    response = staff_client.post(reverse("segments:create"), _form(rule=json.dumps(rule)))
    assert response.status_code == 400
    errors = response.context["rule_errors"]
    assert {"path": "/all/1/value", "message": "expected a number"} in errors
    assert {"path": "/all/2/value/0", "message": "unknown segment 'no-such-segment'"} in errors
    assert 'id="builder-errors"' in response.content.decode()
    assert not Segment.objects.exists()


def test_create_with_broken_json_is_a_form_error(staff_client):
    response = staff_client.post(reverse("segments:create"), _form(rule="{not json"))
    assert response.status_code == 400
    assert "not valid JSON" in str(response.context["form"].errors["rule"])
    assert not Segment.objects.exists()


def test_create_static_segment_ignores_the_rule(staff_client):
    response = staff_client.post(reverse("segments:create"), _form(kind="static", rule="junk"))
    assert response.status_code == 302
    segment = Segment.objects.get()
    assert segment.kind == SegmentKind.STATIC and segment.rule is None


def test_update_changes_the_rule_and_bumps_the_version(staff_client, segment):
    rule = {"all": [{"field": "region", "op": "eq", "value": "apac"}]}
    data = _form(name="APAC now", rule=json.dumps(rule))
    response = staff_client.post(reverse("segments:update", args=[segment.pk]), data)
    assert response.status_code == 302
    segment.refresh_from_db()
    assert (segment.name, segment.rule, segment.version) == ("APAC now", rule, 2)


def test_update_edit_page_starts_from_the_saved_rule(staff_client, segment):
    response = staff_client.get(reverse("segments:update", args=[segment.pk]))
    assert response.context["rule"] == EMEA_RULE
    assert response.context["form"]["objective"].value() == segment.objective


def test_update_refuses_a_cycle_and_saves_nothing(staff_client, segment):
    SegmentFactory(
        slug="uses-emea", rule={"all": [{"field": "segment", "op": "in", "value": ["emea"]}]}
    )
    rule = {"all": [{"field": "segment", "op": "in", "value": ["uses-emea"]}]}
    response = staff_client.post(
        reverse("segments:update", args=[segment.pk]), _form(rule=json.dumps(rule))
    )
    assert response.status_code == 400
    assert "cycle" in response.context["rule_errors"][0]["message"]
    segment.refresh_from_db()
    assert segment.rule == EMEA_RULE


def test_preview_counts_and_samples_matching_partners(staff_client):
    PartnerFactory(name="Alpha EMEA", region=Region.EMEA)
    PartnerFactory(name="Beta EMEA", region=Region.EMEA)
    PartnerFactory(name="Gamma APAC", region=Region.APAC)
    response = staff_client.post(reverse("segments:preview"), {"rule": json.dumps(EMEA_RULE)})
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["preview"]["count"] == 2
    assert 'data-count="2"' in html
    assert "Alpha EMEA" in html and "Beta EMEA" in html and "Gamma APAC" not in html
    assert not Segment.objects.exists()


def test_preview_of_an_invalid_rule_returns_the_errors_with_paths(staff_client):
    rule = {"any": [{"field": "tier", "op": "at_least", "value": "diamond"}]}
    response = staff_client.post(reverse("segments:preview"), {"rule": json.dumps(rule)})
    assert response.status_code == 400
    assert response.context["errors"][0]["path"] == "/any/0/value"
    assert "unknown tier 'diamond'" in response.content.decode()
    assert 'id="preview-errors"' in response.content.decode()


def test_preview_of_broken_json_is_a_400(staff_client):
    response = staff_client.post(reverse("segments:preview"), {"rule": "{"})
    assert response.status_code == 400
    assert response.context["errors"][0]["path"] == ""


def test_preview_only_accepts_post(staff_client):
    assert staff_client.get(reverse("segments:preview")).status_code == 405


# ---------------------------------------------------------------------------------------
# Segment page
# ---------------------------------------------------------------------------------------


def _evaluated(segment):
    services.segment_evaluate(segment_id=segment.pk)
    segment.refresh_from_db()
    return segment


def test_detail_shows_objective_members_rule_and_chart(staff_client, segment):
    PartnerFactory(name="Member EMEA", region=Region.EMEA)
    PartnerFactory(name="Outsider APAC", region=Region.APAC)
    _evaluated(segment)
    response = staff_client.get(reverse("segments:detail", args=[segment.pk]))
    html = response.content.decode()
    assert segment.objective in html
    assert [p.name for p in response.context["page_obj"]] == ["Member EMEA"]
    assert "Outsider APAC" not in html
    assert response.context["chart"]["type"] == "line"
    assert response.context["chart"]["data"]["datasets"][0]["data"][-1] == 1
    assert "Evaluate now" in html and "Region" in html


def test_detail_events_and_runs_tabs(staff_client, segment):
    PartnerFactory(name="Member EMEA", region=Region.EMEA)
    _evaluated(segment)
    events = staff_client.get(reverse("segments:detail", args=[segment.pk]) + "?tab=events")
    assert [e.partner.name for e in events.context["page_obj"]] == ["Member EMEA"]
    assert "Joined" in events.content.decode()
    runs = staff_client.get(reverse("segments:detail", args=[segment.pk]) + "?tab=runs")
    run = runs.context["page_obj"][0]
    assert run.status == EvaluationStatus.SUCCEEDED and run.joined == 1
    assert "Succeeded" in runs.content.decode()


def test_detail_tabs_run_a_constant_number_of_queries(staff_client, segment):
    for _ in range(3):
        PartnerFactory(region=Region.EMEA, technologies=["aws"])
    _evaluated(segment)
    urls = [
        reverse("segments:detail", args=[segment.pk]) + f"?tab={tab}"
        for tab in ("members", "events", "runs")
    ]
    few = [_count_queries(staff_client, url) for url in urls]
    for _ in range(27):
        PartnerFactory(region=Region.EMEA, technologies=["aws"])
    _evaluated(segment)
    many = [_count_queries(staff_client, url) for url in urls]
    assert many == few


def test_detail_of_a_failing_segment_shows_the_error(staff_client):
    segment = SegmentFactory(consecutive_failures=3, last_error="QueryCanceled: timeout")
    html = staff_client.get(reverse("segments:detail", args=[segment.pk])).content.decode()
    assert "QueryCanceled: timeout" in html and "Failing" in html


def test_evaluate_now_runs_the_segment_and_reports_it(staff_client, segment):
    PartnerFactory(region=Region.EMEA)
    response = staff_client.post(reverse("segments:evaluate", args=[segment.pk]), follow=True)
    run = EvaluationRun.objects.get(segment=segment)
    assert run.status == EvaluationStatus.SUCCEEDED and run.matched == 1
    assert "1 members, 1 joined, 0 left" in response.content.decode()
    assert Membership.objects.filter(segment=segment).count() == 1


def test_evaluate_now_on_a_static_segment_changes_nothing(staff_client):
    segment = StaticSegmentFactory()
    response = staff_client.post(reverse("segments:evaluate", args=[segment.pk]), follow=True)
    assert "no rule to evaluate" in response.content.decode()
    assert not EvaluationRun.objects.exists()


def test_evaluate_now_only_accepts_post(staff_client, segment):
    assert staff_client.get(reverse("segments:evaluate", args=[segment.pk])).status_code == 405


def test_static_members_are_added_by_external_id(staff_client):
    segment = StaticSegmentFactory()
    first, second = PartnerFactory(external_id="P-1"), PartnerFactory(external_id="P-2")
    PartnerFactory(external_id="P-3")
    url = reverse("segments:members-change", args=[segment.pk])
    response = staff_client.post(url, {"action": "add", "external_ids": "P-1, P-2\n"})
    assert response.status_code == 302
    assert set(segment.memberships.values_list("partner_id", flat=True)) == {first.pk, second.pk}
    staff_client.post(url, {"action": "remove", "external_ids": "P-1"})
    assert set(segment.memberships.values_list("partner_id", flat=True)) == {second.pk}


def test_static_members_from_a_csv_file_replace_the_members(staff_client):
    segment = StaticSegmentFactory()
    old, new = PartnerFactory(external_id="OLD"), PartnerFactory(external_id="NEW")
    MembershipFactory(segment=segment, partner=old)
    upload = SimpleUploadedFile("members.csv", b"external_id,name\nNEW,New partner\n")
    response = staff_client.post(
        reverse("segments:members-change", args=[segment.pk]),
        {"action": "replace", "file": upload},
    )
    assert response.status_code == 302
    assert list(segment.memberships.values_list("partner_id", flat=True)) == [new.pk]


def test_static_members_with_an_unknown_external_id_change_nothing(staff_client):
    segment = StaticSegmentFactory()
    PartnerFactory(external_id="P-1")
    response = staff_client.post(
        reverse("segments:members-change", args=[segment.pk]),
        {"action": "add", "external_ids": "P-1 NOPE"},
    )
    assert response.status_code == 400
    assert "unknown partner external_id: NOPE" in response.content.decode()
    assert not segment.memberships.exists()


def test_static_members_form_without_ids_is_an_error(staff_client):
    segment = StaticSegmentFactory()
    response = staff_client.post(
        reverse("segments:members-change", args=[segment.pk]), {"action": "add"}
    )
    assert response.status_code == 400
    assert "at least one external ID" in response.content.decode()


def test_members_of_a_dynamic_segment_cannot_be_changed_by_hand(staff_client, segment):
    PartnerFactory(external_id="P-1")
    response = staff_client.post(
        reverse("segments:members-change", args=[segment.pk]),
        {"action": "add", "external_ids": "P-1"},
    )
    assert response.status_code == 400
    assert not segment.memberships.exists()


def test_delete_asks_then_deletes(staff_client, segment):
    response = staff_client.get(reverse("segments:delete", args=[segment.pk]))
    assert "Delete segment" in response.content.decode()
    assert Segment.objects.filter(pk=segment.pk).exists()
    response = staff_client.post(reverse("segments:delete", args=[segment.pk]))
    assert response.status_code == 302 and response.url == reverse("segments:list")
    assert not Segment.objects.filter(pk=segment.pk).exists()


def test_delete_is_refused_while_another_rule_names_the_segment(staff_client, segment):
    services.segment_create(
        data={
            "name": "Uses EMEA",
            "objective": "x",
            "rule": {"all": [{"field": "segment", "op": "in", "value": ["emea"]}]},
        }
    )
    response = staff_client.post(reverse("segments:delete", args=[segment.pk]))
    assert response.status_code == 400
    assert "refer to this segment" in response.content.decode()
    assert Segment.objects.filter(pk=segment.pk).exists()


# ---------------------------------------------------------------------------------------
# Explain
# ---------------------------------------------------------------------------------------


def test_explain_search_finds_partners_by_name_and_external_id(staff_client, segment):
    member = PartnerFactory(name="Acme Europe", external_id="ACME-1", region=Region.EMEA)
    PartnerFactory(name="Acme Asia", external_id="ACME-2", region=Region.APAC)
    PartnerFactory(name="Other", external_id="OTH-1")
    _evaluated(segment)
    url = reverse("segments:explain-search", args=[segment.pk])
    found = staff_client.get(url + "?q=acme").context["candidates"]
    assert [(c["name"], c["is_member"]) for c in found] == [
        ("Acme Asia", False),
        ("Acme Europe", True),
    ]
    exact = staff_client.get(url + "?q=acme-1").context["candidates"]
    assert exact[0]["id"] == member.pk
    assert staff_client.get(url + "?q=").context["candidates"] == []


def test_explain_shows_each_condition_true_or_false(staff_client):
    segment = SegmentFactory(
        rule={
            "all": [
                {"field": "region", "op": "eq", "value": "emea"},
                {"not": {"field": "partner_type", "op": "eq", "value": "referral"}},
            ]
        }
    )
    partner = PartnerFactory(region=Region.APAC, partner_type=PartnerType.VAR)
    response = staff_client.get(
        reverse("segments:explain", args=[segment.pk]) + f"?partner={partner.pk}"
    )
    tree = response.context["tree"]
    assert tree["result"] is False
    region, negation = tree["children"]
    assert (region["field"], region["result"], region["actual"]) == (
        "Region",
        False,
        "Asia-Pacific",
    )
    assert negation["kind"] == "not" and negation["result"] is True
    html = response.content.decode()
    assert "Rule does not match now" in html and "actual: Asia-Pacific" in html


def test_explain_needs_a_partner_id(staff_client, segment):
    url = reverse("segments:explain", args=[segment.pk])
    assert staff_client.get(url).status_code == 400
    assert staff_client.get(url + "?partner=abc").status_code == 400
    assert staff_client.get(url + "?partner=999999").status_code == 404


def test_explain_for_a_static_segment_says_added_by_hand(staff_client):
    segment = StaticSegmentFactory()
    partner = PartnerFactory()
    MembershipFactory(segment=segment, partner=partner)
    response = staff_client.get(
        reverse("segments:explain", args=[segment.pk]) + f"?partner={partner.pk}"
    )
    assert "added by hand" in response.content.decode()


# ---------------------------------------------------------------------------------------
# Overlap
# ---------------------------------------------------------------------------------------


def _with_members(name, partners, member_count=None):
    segment = StaticSegmentFactory(name=name, member_count=member_count or len(partners))
    for partner in partners:
        MembershipFactory(segment=segment, partner=partner)
    return segment


def test_overlap_shows_shared_members_as_a_matrix(staff_client):
    partners = [PartnerFactory() for _ in range(4)]
    big = _with_members("Big", partners)
    half = _with_members("Half", partners[:2])
    _with_members("Tiny", partners[3:], member_count=1)
    response = staff_client.get(reverse("segments:overlap"))
    rows = response.context["matrix"]["rows"]
    assert [row["segment"].name for row in rows] == ["Big", "Half", "Tiny"]
    big_row = rows[0]
    assert [cell["shared"] for cell in big_row["cells"]] == [4, 2, 1]
    assert big_row["cells"][1]["share"] == 0.5
    assert rows[1]["cells"][0]["share"] == 1.0
    html = response.content.decode()
    assert 'id="overlap-matrix"' in html and "50%" in html
    chosen = staff_client.get(
        reverse("segments:overlap") + f"?segments={big.slug}&segments={half.slug}"
    )
    assert [row["segment"].name for row in chosen.context["matrix"]["rows"]] == ["Big", "Half"]


def test_overlap_limits_to_the_largest_segments(staff_client):
    for index in range(7):
        SegmentFactory(name=f"S{index}", member_count=index)
    response = staff_client.get(reverse("segments:overlap") + "?limit=5")
    names = [row["segment"].name for row in response.context["matrix"]["rows"]]
    assert names == ["S6", "S5", "S4", "S3", "S2"]


def test_overlap_runs_a_constant_number_of_queries(staff_client):
    partners = [PartnerFactory() for _ in range(3)]
    for index in range(3):
        _with_members(f"First {index}", partners[: index + 1])
    few = _count_queries(staff_client, reverse("segments:overlap"))
    for index in range(9):
        _with_members(f"More {index}", partners[index % 3 :])
    many = _count_queries(staff_client, reverse("segments:overlap"))
    assert many == few


def test_overlap_with_an_unknown_segment_is_a_400(staff_client):
    response = staff_client.get(reverse("segments:overlap") + "?segments=nope")
    assert response.status_code == 400
    assert response.context["form"].errors["segments"]


def test_overlap_without_segments_shows_an_empty_state(staff_client):
    response = staff_client.get(reverse("segments:overlap"))
    assert response.context["matrix"] is None
    assert "No active segments" in response.content.decode()


# ---------------------------------------------------------------------------------------
# Partner-page panel
# ---------------------------------------------------------------------------------------


def test_segments_panel_is_registered_for_the_partner_page():
    panel = next(panel for panel in partner_panels() if panel.key == "segments")
    assert (panel.title, panel.url_name, panel.order) == ("Segments", "segments:partner-panel", 10)


def test_partner_panel_lists_segments_with_why_and_the_timeline(staff_client, segment):
    partner = PartnerFactory(region=Region.EMEA, tier=tier("gold"))
    PartnerFactory(region=Region.EMEA)
    elsewhere = SegmentFactory(
        name="APAC only", rule={"all": [{"field": "region", "op": "eq", "value": "apac"}]}
    )
    _evaluated(segment)
    _evaluated(elsewhere)
    static = StaticSegmentFactory(name="VIP list")
    services.segment_members_add(segment=static, partner_ids=[partner.pk])
    response = staff_client.get(reverse("segments:partner-panel", args=[partner.pk]))
    html = response.content.decode()
    names = [item["segment"].name for item in response.context["memberships"]]
    assert names == ["EMEA partners", "VIP list"]
    assert response.context["memberships"][0]["tree"]["result"] is True
    assert "APAC only" not in html
    assert "<html" not in html  # a fragment
    events = list(response.context["events"])
    assert {event.segment.name for event in events} == {"EMEA partners", "VIP list"}
    assert MembershipEvent.objects.filter(partner=partner).count() == 2


def test_partner_panel_runs_the_same_queries_for_one_segment_or_many(
    staff_client, django_assert_max_num_queries
):
    partner = PartnerFactory(region=Region.EMEA, tier=tier("gold"))
    url = reverse("segments:partner-panel", args=[partner.pk])

    def segment_in(number: int) -> None:
        _evaluated(
            SegmentFactory(
                name=f"EMEA {number}",
                rule={
                    "all": [
                        {"field": "region", "op": "eq", "value": "emea"},
                        {"field": "tier", "op": "at_least", "value": "silver"},
                        {"field": "industries", "op": "has_none", "value": ["no-such-tag"]},
                    ]
                },
            )
        )

    segment_in(1)
    with CaptureQueriesContext(connection) as one:
        assert staff_client.get(url).status_code == 200
    for number in range(2, 6):
        segment_in(number)
    with django_assert_max_num_queries(len(one)):
        response = staff_client.get(url)
    assert len(response.context["memberships"]) == 5


def test_partner_panel_of_an_unknown_partner_is_404(staff_client):
    assert staff_client.get(reverse("segments:partner-panel", args=[999999])).status_code == 404
