"""The channel manager's deal pages (deals/views): staff only, the list's filters and pages,
the review queue by SLA with its bulk decisions, a registration's page with its decisions and
competing registrations, the pipeline's aggregates and the incentive rule forms; every list in
a constant number of queries."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from deals.models import (
    DealConflict,
    DealRegistration,
    DealStatus,
    ExtensionStatus,
    IncentiveRule,
)
from deals.services import deal_approve, deal_create, deal_extension_request
from tests.deals.factories import (
    DealRegistrationFactory,
    IncentiveRuleFactory,
)
from tests.partners.factories import ContactFactory, PartnerFactory, UserFactory, tier
from tests.segments.factories import MembershipFactory, StaticSegmentFactory

pytestmark = pytest.mark.django_db

LIST = reverse("deals:list")
QUEUE = reverse("deals:review_queue")
BULK = reverse("deals:review_bulk")
PIPELINE = reverse("deals:pipeline")
RULES = reverse("deals:rules")


@pytest.fixture
def staff(client, manager):
    client.force_login(manager)
    return client


def register(partner, user, *, submit=True, **overrides):
    """A registration through the services (submitted by default, conflicts flagged)."""
    values = {
        "partner": partner,
        "user": user,
        "account_name": "Acme GmbH",
        "account_domain": "acme.de",
        "account_country": "DE",
        "name": "Acme data platform",
        "amount": "120000",
        "currency": "EUR",
        "expected_close_date": timezone.localdate() + dt.timedelta(days=60),
        "submit": submit,
    }
    return deal_create(**{**values, **overrides})


def submitted(*, due_in_hours: float = 24, overdue: bool = False, **fields):
    """A submitted registration written directly, its review due in `due_in_hours`."""
    now = timezone.now()
    return DealRegistrationFactory(
        status=DealStatus.SUBMITTED,
        submitted_at=now - dt.timedelta(hours=1),
        review_due_at=now + dt.timedelta(hours=due_in_hours),
        overdue_at=now if overdue else None,
        **fields,
    )


def conflicting_pair(manager):
    """Northwind registered acme.de first; Contoso registered the same customer later and is
    flagged against it."""
    first = register(PartnerFactory(name="Northwind Ltd", tier=tier("gold")), manager)
    second = register(
        PartnerFactory(name="Contoso AG", tier=tier("silver")),
        manager,
        account_name="ACME Deutschland",
        name="Acme analytics",
        amount="80000",
    )
    return first, second


def query_count(client, url, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200, response.content[:500]
    return len(queries)


# -- access ---------------------------------------------------------------------------------


def _pages(deal_pk: int, rule_pk: int) -> list[str]:
    return [
        LIST,
        QUEUE,
        PIPELINE,
        RULES,
        reverse("deals:rule_create"),
        reverse("deals:rule_edit", args=[rule_pk]),
        reverse("deals:detail", args=[deal_pk]),
    ]


def test_every_page_answers_a_channel_manager(staff, manager):
    _first, second = conflicting_pair(manager)
    rule = IncentiveRuleFactory()
    for url in _pages(second.pk, rule.pk):
        response = staff.get(url)
        assert response.status_code == 200, url
        assert "Deals" in response.content.decode()


def test_a_partner_user_is_refused_every_page_and_action(client, partner_user):
    deal = submitted(partner=partner_user.contact.partner)
    rule = IncentiveRuleFactory()
    client.force_login(partner_user)
    for url in _pages(deal.pk, rule.pk):
        assert client.get(url).status_code == 403, url
    for name in ("approve", "reject", "won", "lost", "extension_approve", "extension_reject"):
        url = reverse(f"deals:{name}", args=[deal.pk])
        assert client.post(url, {"reason": "mine"}).status_code == 403, url
    response = client.post(BULK, {"ids": [deal.pk], "action": "approve", "confirmed": "1"})
    assert response.status_code == 403
    response = client.post(reverse("deals:rule_create"), {"name": "Mine"})
    assert response.status_code == 403
    deal.refresh_from_db()
    assert deal.status == DealStatus.SUBMITTED
    assert not IncentiveRule.objects.filter(name="Mine").exists()


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(QUEUE)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_manager_navigation_links_the_deal_pages(staff):
    html = staff.get(reverse("dashboard")).content.decode()
    for url in (LIST, QUEUE, PIPELINE, RULES):
        assert f'href="{url}"' in html


# -- the list -------------------------------------------------------------------------------


def names(response) -> list[str]:
    return [deal.name for deal in response.context["page_obj"].object_list]


def test_the_list_filters_by_status_search_conflict_tier_segment_and_currency(staff, manager):
    first, second = conflicting_pair(manager)
    draft = DealRegistrationFactory(
        name="Draft in dollars", currency="USD", partner=PartnerFactory(tier=None)
    )
    segment = StaticSegmentFactory(slug="north", name="North")
    MembershipFactory(segment=segment, partner=first.partner)

    assert set(names(staff.get(LIST))) == {first.name, second.name, draft.name}
    assert names(staff.get(LIST, {"status": "draft"})) == [draft.name]
    assert set(names(staff.get(LIST, {"status": "open"}))) == {first.name, second.name}
    assert names(staff.get(LIST, {"q": "contoso"})) == [second.name]
    assert set(names(staff.get(LIST, {"q": "acme.de"}))) == {first.name, second.name}
    assert names(staff.get(LIST, {"q": "acme analytics"})) == [second.name]
    assert names(staff.get(LIST, {"conflict": "yes"})) == [second.name]
    assert names(staff.get(LIST, {"tier": "gold"})) == [first.name]
    assert names(staff.get(LIST, {"tier": "none"})) == [draft.name]
    assert names(staff.get(LIST, {"segment": "north"})) == [first.name]
    assert names(staff.get(LIST, {"currency": "usd"})) == [draft.name]
    assert names(staff.get(LIST, {"amount_min": "100000"})) == [first.name]
    assert names(staff.get(LIST, {"ordering": "amount"}))[-1] == first.name
    assert names(staff.get(LIST, {"partner": second.partner_id})) == [second.name]


def test_the_list_refuses_bad_filters_with_the_field_named(staff):
    DealRegistrationFactory()
    response = staff.get(LIST, {"amount_min": "10", "amount_max": "5", "currency": "EURO"})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"amount_max", "currency"}
    assert 'data-filter-error="currency"' in response.content.decode()


def test_the_list_pages_and_links_the_csv_export_with_its_filters(staff):
    for index in range(55):
        DealRegistrationFactory(name=f"Deal {index:02}", currency="EUR")
    DealRegistrationFactory(name="In dollars", currency="USD")
    first = staff.get(LIST, {"ordering": "created_at", "currency": "EUR", "conflict": "no"})
    second = staff.get(LIST, {"ordering": "created_at", "currency": "EUR", "page": 2})
    assert len(names(first)) == 50
    assert names(second) == [f"Deal {index:02}" for index in range(50, 55)]
    export = "/api/deals/export/?ordering=created_at&currency=EUR&has_conflict=false"
    assert first.context["export_url"] == export
    assert f'href="{export.replace("&", "&amp;")}"' in first.content.decode()
    # the link answers the CSV of exactly the filtered registrations, every page of them
    csv = staff.get(export)
    assert csv.status_code == 200
    assert csv["Content-Type"].startswith("text/csv")
    lines = b"".join(csv.streaming_content).decode().splitlines()
    assert lines[0].startswith("id,state,partner_id")
    assert [line.split(",")[9] for line in lines[1:]] == [f"Deal {i:02}" for i in range(55)]


def test_the_list_takes_the_same_queries_for_few_and_many_rows(staff):
    def rows(count):
        for _ in range(count):
            deal = submitted(partner=PartnerFactory(tier=tier("gold")))
            other = DealRegistrationFactory()
            DealConflict.objects.create(
                deal=deal, competing=other, matched_on="name", similarity=0.8
            )

    rows(2)
    few = query_count(staff, LIST)
    rows(20)
    assert query_count(staff, LIST) == few


# -- the review queue -----------------------------------------------------------------------


def test_the_queue_puts_overdue_reviews_first_then_the_soonest_due(staff):
    later = submitted(name="Later", due_in_hours=40)
    soon = submitted(name="Soon", due_in_hours=2)
    marked = submitted(name="Marked overdue", due_in_hours=-1, overdue=True)
    unmarked = submitted(name="Past due", due_in_hours=-30)
    DealRegistrationFactory(name="Approved", status=DealStatus.APPROVED)
    response = staff.get(QUEUE)
    assert response.status_code == 200
    assert names(response) == [unmarked.name, marked.name, soon.name, later.name]
    html = response.content.decode()
    assert html.count('data-sla="overdue"') == 2
    assert html.count('data-sla="due"') == 2
    assert names(staff.get(QUEUE, {"state": "overdue"})) == [unmarked.name, marked.name]
    counts = {state["value"]: state["count"] for state in response.context["queue_states"]}
    assert counts == {"pending": 4, "overdue": 2, "conflict": 0}


def test_the_queue_shows_the_conflict_badge_and_filters_the_conflicts(staff, manager):
    first, second = conflicting_pair(manager)
    response = staff.get(QUEUE, {"state": "conflict"})
    assert names(response) == [second.name]
    html = response.content.decode()
    assert "data-conflict-badge" in html
    assert names(staff.get(QUEUE, {"q": "northwind"})) == [first.name]


def test_the_queue_takes_the_same_queries_for_few_and_many_rows(staff):
    def rows(count):
        for index in range(count):
            deal = submitted(overdue=index % 2 == 0, partner=PartnerFactory(tier=tier("gold")))
            DealConflict.objects.create(
                deal=deal, competing=DealRegistrationFactory(), matched_on="domain", similarity=1
            )

    rows(2)
    few = query_count(staff, QUEUE)
    rows(20)
    assert query_count(staff, QUEUE) == few


def test_bulk_approve_with_a_reason_approves_every_selected_registration(staff, manager):
    one, two, other = submitted(), submitted(), submitted()
    response = staff.post(
        BULK,
        {"ids": [one.pk, two.pk], "action": "approve", "reason": "Good fit", "confirmed": "1"},
    )
    assert response.status_code == 302
    assert response.url == QUEUE
    for deal in (one, two):
        deal.refresh_from_db()
        assert deal.status == DealStatus.APPROVED
        assert deal.decision_reason == "Good fit"
        assert deal.decided_by == manager
        assert deal.transitions.get(action="approve").reason == "Good fit"
    other.refresh_from_db()
    assert other.status == DealStatus.SUBMITTED


def test_bulk_reject_needs_a_reason_and_is_all_or_nothing(staff):
    one, two = submitted(name="One"), submitted(name="Two")
    already = DealRegistrationFactory(name="Done", status=DealStatus.APPROVED)
    # without a reason: refused, nothing rejected
    response = staff.post(BULK, {"ids": [one.pk, two.pk], "action": "reject", "confirmed": "1"})
    assert response.status_code == 400
    assert "give the reason" in response.content.decode()
    # with a registration no longer submitted: refused as a whole (409)
    response = staff.post(
        BULK,
        {"ids": [one.pk, already.pk], "action": "reject", "reason": "No", "confirmed": "1"},
    )
    assert response.status_code == 409
    assert "Nothing was rejected" in response.content.decode()
    one.refresh_from_db()
    assert one.status == DealStatus.SUBMITTED
    # with a reason: both rejected
    response = staff.post(
        BULK,
        {"ids": [one.pk, two.pk], "action": "reject", "reason": "Not our market", "confirmed": "1"},
        follow=True,
    )
    assert "2 registrations rejected." in response.content.decode()
    assert set(
        DealRegistration.objects.filter(pk__in=[one.pk, two.pk]).values_list(
            "status", "decision_reason"
        )
    ) == {(DealStatus.REJECTED, "Not our market")}


def test_an_unconfirmed_bulk_decision_asks_first(staff):
    deal = submitted(name="Ask me")
    response = staff.get(BULK, {"ids": deal.pk, "action": "reject"})
    assert response.status_code == 200
    assert "Reason (required, sent to the partner)" in response.content.decode()
    deal.refresh_from_db()
    assert deal.status == DealStatus.SUBMITTED


# -- a registration's page ------------------------------------------------------------------


def test_the_page_shows_the_competing_registrations_side_by_side_with_the_evidence(staff, manager):
    first, second = conflicting_pair(manager)
    response = staff.get(reverse("deals:detail", args=[second.pk]))
    html = response.content.decode()
    (item,) = response.context["competing"]
    assert item.other == first
    assert item.flagged_this
    assert (item.matched_on, item.similarity) == ("domain", 1.0)
    assert 'data-evidence="domain"' in html
    assert 'data-matched-field="domain"' in html
    assert "Northwind Ltd" in html and "Contoso AG" in html
    # and the earlier registration shows the later one flagged against it
    (back,) = staff.get(reverse("deals:detail", args=[first.pk])).context["competing"]
    assert back.other == second
    assert not back.flagged_this


def test_a_similar_name_conflict_shows_its_similarity(staff, manager):
    register(PartnerFactory(), manager, account_domain="", account_name="Globex Systems Inc.")
    later = register(
        PartnerFactory(), manager, account_domain="", account_name="Globex System GmbH"
    )
    response = staff.get(reverse("deals:detail", args=[later.pk]))
    (item,) = response.context["competing"]
    assert item.matched_on == "name"
    assert 0.6 <= item.similarity < 1
    assert 'data-matched-field="name"' in response.content.decode()


def test_the_page_previews_the_incentive_then_shows_the_one_locked_in(staff, manager):
    IncentiveRuleFactory(name="Gold deals", tier=tier("gold"), discount_pct=Decimal("12"))
    deal = register(PartnerFactory(tier=tier("gold")), manager)
    detail = reverse("deals:detail", args=[deal.pk])
    response = staff.get(detail)
    assert response.context["incentive"]["kind"] == "preview"
    assert response.context["incentive"]["rule"].name == "Gold deals"
    assert "Incentive that would apply now" in response.content.decode()
    response = staff.post(reverse("deals:approve", args=[deal.pk]), {"reason": "Strong case"})
    assert response.status_code == 302
    IncentiveRule.objects.filter(name="Gold deals").update(discount_pct=1)
    response = staff.get(detail)
    incentive = response.context["incentive"]
    assert incentive["kind"] == "locked"
    assert incentive["discount_pct"] == Decimal("12.00")
    html = response.content.decode()
    assert "Incentive locked in at approval" in html
    assert "data-incentive-candidates" in html
    assert "Strong case" in html
    assert [t.action for t in response.context["transitions"]] == ["create", "submit", "approve"]
    # the amount in its currency (prm.formatting)
    assert "€120,000.00" in html


def test_reject_without_a_reason_shows_the_error_and_changes_nothing(staff, manager):
    deal = register(PartnerFactory(), manager)
    response = staff.post(reverse("deals:reject", args=[deal.pk]), {"reason": "  "})
    assert response.status_code == 400
    assert "Give the reason" in response.content.decode()
    deal.refresh_from_db()
    assert deal.status == DealStatus.SUBMITTED
    response = staff.post(reverse("deals:reject", args=[deal.pk]), {"reason": "Duplicate"})
    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.status, deal.decision_reason) == (DealStatus.REJECTED, "Duplicate")


def test_an_invalid_transition_is_a_409_naming_the_current_state(staff, manager):
    draft = register(PartnerFactory(), manager, submit=False)
    response = staff.post(reverse("deals:approve", args=[draft.pk]), {"reason": ""})
    assert response.status_code == 409
    assert "It is draft now." in response.content.decode()
    deal = register(PartnerFactory(), manager, account_domain="other-customer.de")
    deal_approve(deal=deal, user=manager)
    response = staff.post(reverse("deals:reject", args=[deal.pk]), {"reason": "Too late"})
    assert response.status_code == 409
    assert "data-transition-error" in response.content.decode()
    deal.refresh_from_db()
    assert deal.status == DealStatus.APPROVED


def test_the_extension_decisions_and_won_or_lost(staff, manager):
    deal = register(PartnerFactory(), manager)
    deal = deal_approve(deal=deal, user=manager)
    ends = deal.protection_ends_on
    deal_extension_request(deal=deal, user=manager, days=30, reason="Customer delayed")
    page = staff.get(reverse("deals:detail", args=[deal.pk]))
    assert [a["action"].slug for a in page.context["actions"]] == [
        "extension-approve",
        "extension-reject",
        "won",
        "lost",
    ]
    assert "30 more days" in page.content.decode()
    response = staff.post(reverse("deals:extension_reject", args=[deal.pk]), {"reason": ""})
    assert response.status_code == 400
    response = staff.post(reverse("deals:extension_approve", args=[deal.pk]), {"reason": "OK"})
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.extension_status == ExtensionStatus.APPROVED
    assert deal.protection_ends_on == ends + dt.timedelta(days=30)
    response = staff.post(reverse("deals:won", args=[deal.pk]), {"reason": "Signed"})
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.status == DealStatus.WON
    assert staff.post(reverse("deals:lost", args=[deal.pk])).status_code == 409


def test_the_page_takes_the_same_queries_for_one_or_many_competing_registrations(staff, manager):
    deal = submitted()

    def competitors(count):
        for _ in range(count):
            other = submitted(partner=PartnerFactory(tier=tier("gold")))
            DealConflict.objects.create(
                deal=deal, competing=other, matched_on="name", similarity=0.7
            )

    competitors(1)
    url = reverse("deals:detail", args=[deal.pk])
    few = query_count(staff, url)
    competitors(6)
    assert query_count(staff, url) == few


def test_an_unknown_registration_is_a_404(staff):
    assert staff.get(reverse("deals:detail", args=[999999])).status_code == 404


# -- pipeline -------------------------------------------------------------------------------


def test_the_pipeline_adds_amounts_per_stage_tier_and_segment_in_one_currency(staff, settings):
    settings.PRM_CURRENCY = "EUR"
    gold, silver = PartnerFactory(tier=tier("gold")), PartnerFactory(tier=tier("silver"))
    segment = StaticSegmentFactory(name="Growth", slug="growth")
    MembershipFactory(segment=segment, partner=gold)
    DealRegistrationFactory(partner=gold, status=DealStatus.SUBMITTED, amount=100)
    DealRegistrationFactory(partner=gold, status=DealStatus.WON, amount=50)
    DealRegistrationFactory(partner=silver, status=DealStatus.APPROVED, amount=30)
    DealRegistrationFactory(partner=silver, status=DealStatus.LOST, amount=7)
    DealRegistrationFactory(partner=gold, status=DealStatus.SUBMITTED, amount=999, currency="USD")
    response = staff.get(PIPELINE)
    assert response.status_code == 200
    pipeline = response.context["pipeline"]
    assert pipeline["currency"] == "EUR"
    total = pipeline["total"]
    assert total["open_amount"] == Decimal("130")
    assert total["won_amount"] == Decimal("50")
    assert total["win_rate"] == 0.5
    by_tier = {row["label"]: row for row in pipeline["by_tier"]}
    assert by_tier["Gold"]["open_amount"] == Decimal("100")
    assert by_tier["Silver"]["stages"]["lost"]["amount"] == Decimal("7")
    (growth,) = pipeline["by_segment"]
    assert (growth["label"], growth["open_amount"], growth["count"]) == ("Growth", 100, 2)
    html = response.content.decode()
    for chart in ("deal-stage-chart", "deal-tier-chart", "deal-segment-chart"):
        assert f'id="{chart}"' in html
    usd = staff.get(PIPELINE, {"currency": "USD", "period": "all"}).context["pipeline"]
    assert usd["total"]["open_amount"] == Decimal("999")
    assert staff.get(PIPELINE, {"currency": "GBP"}).status_code == 400


def test_the_pipeline_takes_the_same_queries_for_few_and_many_rows(staff):
    def rows(count):
        for index in range(count):
            partner = PartnerFactory(tier=tier("gold" if index % 2 else "silver"))
            MembershipFactory(segment=StaticSegmentFactory(), partner=partner)
            DealRegistrationFactory(partner=partner, status=DealStatus.SUBMITTED)

    rows(2)
    few = query_count(staff, PIPELINE)
    rows(12)
    assert query_count(staff, PIPELINE) == few


# -- incentive rules ------------------------------------------------------------------------


def rule_data(**overrides):
    return {
        "name": "Gold mid-size",
        "tier": tier("gold").pk,
        "segment": "",
        "currency": "eur",
        "min_amount": "10000",
        "max_amount": "100000",
        "discount_pct": "10",
        "rebate_pct": "2.5",
        "protection_days": "120",
        "auto_approve_below": "",
        "priority": "5",
        "is_active": "on",
        **overrides,
    }


def test_a_rule_is_created_and_edited(staff):
    response = staff.post(reverse("deals:rule_create"), rule_data())
    assert response.status_code == 302
    rule = IncentiveRule.objects.get(name="Gold mid-size")
    assert (rule.currency, rule.tier, rule.discount_pct) == ("EUR", tier("gold"), Decimal("10"))
    response = staff.post(
        reverse("deals:rule_edit", args=[rule.pk]), rule_data(name="Gold", discount_pct="11")
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.discount_pct) == ("Gold", Decimal("11"))
    html = staff.get(RULES).content.decode()
    assert "Gold" in html and "tier + deal size" in html


def test_a_bad_rule_is_refused_field_by_field_and_nothing_is_saved(staff):
    response = staff.post(
        reverse("deals:rule_create"),
        rule_data(
            currency="EURO",
            max_amount="5000",
            discount_pct="120",
            protection_days="0",
            auto_approve_below="-1",
        ),
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {
        "currency",
        "max_amount",
        "discount_pct",
        "protection_days",
        "auto_approve_below",
    }
    assert not IncentiveRule.objects.exists()


def test_the_rules_list_takes_the_same_queries_for_few_and_many_rules(staff):
    segment = StaticSegmentFactory()
    IncentiveRuleFactory(segment=segment, tier=tier("gold"))
    few = query_count(staff, RULES)
    for _ in range(10):
        IncentiveRuleFactory(segment=StaticSegmentFactory(), tier=tier("silver"))
    assert query_count(staff, RULES) == few


def test_partner_users_own_registrations_are_listed_for_the_manager(staff):
    partner_user = UserFactory()
    contact = ContactFactory(user=partner_user)
    deal = register(contact.partner, partner_user)
    assert names(staff.get(LIST)) == [deal.name]


def test_an_attachment_is_served_to_staff_only_and_has_no_public_url(
    client, staff, manager, partner_user, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.PRM_CONTENT_STORAGE_ROOT = str(tmp_path)
    pdf = SimpleUploadedFile("rfp.pdf", b"%PDF-1.7 the rfp", content_type="application/pdf")
    deal = register(PartnerFactory(), manager, attachment=pdf)
    url = reverse("deals:attachment", args=[deal.pk])
    assert url in staff.get(reverse("deals:detail", args=[deal.pk])).content.decode()
    response = staff.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.7 the rfp"
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="rfp.pdf"')
    with pytest.raises(ValueError):
        deal.attachment.url  # noqa: B018 - the storage gives no URL at all
    assert staff.get(reverse("deals:attachment", args=[deal.pk + 1000])).status_code == 404
    client.force_login(partner_user)
    assert client.get(url).status_code == 403
