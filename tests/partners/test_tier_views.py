"""The manager's tier pages: the program, editing a tier, deciding pending changes, the
evaluation and the what-if."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partners import tiers
from partners.models import TierChange, TierChangeStatus
from tests.partners.factories import (
    CertificationFactory,
    PartnerCertificationFactory,
    PartnerFactory,
    tier,
)

pytestmark = pytest.mark.django_db

LIST = reverse("tiers:list")
WHAT_IF = reverse("tiers:what-if")
EVALUATE = reverse("tiers:evaluate")
HTMX = {"HTTP_HX_REQUEST": "true"}


def approve(change) -> str:
    return reverse("tiers:change-approve", args=[change.pk])


def reject(change) -> str:
    return reverse("tiers:change-reject", args=[change.pk])


@pytest.fixture
def staff(client, manager):
    client.force_login(manager)
    return client


def pending_changes(count: int) -> list[TierChange]:
    """`count` partners without a tier who qualify for "registered", queued for approval."""
    partners = PartnerFactory.create_batch(count, tier=None)
    tiers.tiers_evaluate(apply=False)
    return list(TierChange.objects.pending().filter(partner__in=partners).order_by("id"))


def what_if_data(**changes) -> dict[str, str]:
    """The what-if form with every tier's current requirements, some replaced."""
    data = {}
    for each in tiers.tier_list():
        for requirement in (
            "min_revenue_12m",
            "min_deals_won_12m",
            "min_active_certifications",
            "min_enablement_completion_pct",
        ):
            value = getattr(each, requirement)
            data[f"{each.slug}__{requirement}"] = "" if value is None else str(value)
    return {**data, **changes}


class TestAccess:
    def test_anonymous_visitors_are_sent_to_login(self, client):
        for page in (LIST, WHAT_IF, reverse("tiers:update", args=["gold"])):
            response = client.get(page)
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_partner_users_are_refused_and_change_nothing(self, client, partner_user):
        (change,) = pending_changes(1)
        client.force_login(partner_user)
        for page in (LIST, WHAT_IF, reverse("tiers:update", args=["gold"])):
            assert client.get(page).status_code == 403, page
        assert client.post(approve(change)).status_code == 403
        assert client.post(EVALUATE).status_code == 403
        change.refresh_from_db()
        assert change.status == TierChangeStatus.PENDING


class TestTierList:
    def test_shows_tiers_requirements_counts_and_changes(self, staff):
        PartnerFactory.create_batch(2, tier=tier("gold"))
        cert = CertificationFactory(name="Cloud Architect")
        tier("platinum").required_certifications.add(cert)
        (change,) = pending_changes(1)
        response = staff.get(LIST)
        assert response.status_code == 200
        assert response.context["nav"] == "tiers"
        counts = {each.slug: each.partner_count for each in response.context["tiers"]}
        assert counts["gold"] == 2
        assert change.pk in [c.pk for c in response.context["page_obj"]]
        html = response.content.decode()
        assert "Platinum" in html and "≥ $1,000,000" in html and "Cloud Architect" in html
        assert approve(change) in html and reject(change) in html

    def test_recent_changes_show_decisions(self, staff, manager):
        (change,) = pending_changes(1)
        tiers.tier_change_reject(change=change, user=manager)
        response = staff.get(LIST)
        assert [c.pk for c in response.context["recent_changes"]] == [change.pk]
        assert "Rejected" in response.content.decode()
        assert not response.context["page_obj"].object_list

    def test_query_count_does_not_grow_with_pending_changes(self, staff):
        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                assert staff.get(LIST).status_code == 200
            return len(queries)

        pending_changes(3)
        few = count()
        TierChange.objects.all().delete()
        pending_changes(17)
        assert TierChange.objects.pending().count() == 20
        assert count() == few


class TestDecisions:
    def test_approve_moves_the_partner_and_returns_the_row(self, staff, manager):
        (change,) = pending_changes(1)
        response = staff.post(approve(change), **HTMX)
        assert response.status_code == 200
        assert f'id="change-{change.pk}"' in response.content.decode()
        change.refresh_from_db()
        change.partner.refresh_from_db()
        assert change.status == TierChangeStatus.APPLIED and change.decided_by == manager
        assert change.partner.tier == tier("registered")

    def test_reject_keeps_the_partner_on_its_tier(self, staff):
        (change,) = pending_changes(1)
        response = staff.post(reject(change))
        assert response.status_code == 302
        change.refresh_from_db()
        change.partner.refresh_from_db()
        assert change.status == TierChangeStatus.REJECTED
        assert change.partner.tier is None

    def test_deciding_twice_is_refused_with_a_message(self, staff):
        (change,) = pending_changes(1)
        staff.post(reject(change))
        response = staff.post(approve(change), **HTMX)
        assert response.status_code == 200
        assert "only a pending change can be decided" in response.content.decode()
        change.refresh_from_db()
        assert change.status == TierChangeStatus.REJECTED
        response = staff.post(approve(change), follow=True)
        assert "only a pending change can be decided" in response.content.decode()

    def test_approve_only_accepts_post(self, staff):
        (change,) = pending_changes(1)
        assert staff.get(approve(change)).status_code == 405

    def test_unknown_change_is_404(self, staff):
        assert staff.post(reverse("tiers:change-approve", args=[999999])).status_code == 404

    def test_evaluate_now_applies_moves(self, staff, settings):
        settings.PRM_TIER_CHANGES_REQUIRE_APPROVAL = False
        partner = PartnerFactory(tier=None)
        response = staff.post(EVALUATE, follow=True)
        assert response.status_code == 200
        assert "partners moved" in response.content.decode()
        partner.refresh_from_db()
        assert partner.tier == tier("registered")


class TestTierEdit:
    def test_form_is_filled_with_the_tier(self, staff):
        response = staff.get(reverse("tiers:update", args=["gold"]))
        assert response.status_code == 200
        form = response.context["form"]
        assert form.initial["min_revenue_12m"] == Decimal("1000000")
        assert "20% discount" in form.initial["benefits"]

    def test_saves_requirements_and_required_certifications(self, staff):
        cert = CertificationFactory()
        response = staff.post(
            reverse("tiers:update", args=["gold"]),
            {
                "name": "Gold",
                "is_automatic": "on",
                "min_revenue_12m": "1500000",
                "min_deals_won_12m": "",
                "min_active_certifications": "2",
                "required_certifications": [cert.pk],
                "min_enablement_completion_pct": "60",
                "benefits": "25% discount\n\nPartner account manager\n",
            },
        )
        assert response.status_code == 302
        gold = tier("gold")
        assert gold.min_revenue_12m == Decimal("1500000")
        assert gold.min_deals_won_12m is None
        assert gold.min_enablement_completion_pct == 60
        assert list(gold.required_certifications.all()) == [cert]
        assert gold.benefits == ["25% discount", "Partner account manager"]

    def test_invalid_values_are_shown_next_to_the_fields(self, staff):
        response = staff.post(
            reverse("tiers:update", args=["gold"]),
            {"name": "", "min_revenue_12m": "-1", "min_enablement_completion_pct": "120"},
        )
        assert response.status_code == 400
        assert {"name", "min_revenue_12m", "min_enablement_completion_pct"} <= set(
            response.context["form"].errors
        )
        assert tier("gold").min_revenue_12m == Decimal("1000000")

    def test_unknown_tier_is_404(self, staff):
        assert staff.get(reverse("tiers:update", args=["diamond"])).status_code == 404


class TestWhatIf:
    def test_page_shows_the_current_requirements_and_result(self, staff):
        PartnerFactory.create_batch(2, tier=tier("silver"), revenue_12m=Decimal("400000"))
        response = staff.get(WHAT_IF)
        assert response.status_code == 200
        assert response.context["result"]["partners"] == 2
        assert response.context["changed_count"] == 0
        html = response.content.decode()
        assert 'name="gold__min_revenue_12m"' in html and 'id="what-if-result"' in html

    def test_lower_requirements_move_partners_up_without_saving(self, staff):
        # given two silver partners with 400k revenue, 12 deals and 2 active certifications
        for _ in range(2):
            partner = PartnerFactory(tier=tier("silver"), revenue_12m=Decimal("400000"))
            PartnerCertificationFactory.create_batch(2, partner=partner)
        # when gold needed only 300k revenue and 10 deals
        response = staff.post(
            WHAT_IF,
            what_if_data(gold__min_revenue_12m="300000", gold__min_deals_won_12m="10"),
            **HTMX,
        )
        # then both would move up, and gold is unchanged
        assert response.status_code == 200
        result = response.context["result"]
        assert (result["up"], result["down"]) == (2, 0)
        assert result["moves"][0]["from_name"] == "Silver"
        assert result["moves"][0]["to_name"] == "Gold"
        html = response.content.decode()
        assert "<html" not in html and 'data-result="up">2<' in html
        assert tier("gold").min_revenue_12m == Decimal("1000000")

    def test_higher_requirements_move_partners_down(self, staff):
        PartnerFactory(tier=tier("silver"), revenue_12m=Decimal("400000"))
        PartnerCertificationFactory(partner=PartnerFactory(tier=tier("silver")))
        response = staff.post(WHAT_IF, what_if_data(silver__min_revenue_12m="500000"), **HTMX)
        result = response.context["result"]
        assert result["down"] == 2

    def test_invalid_values_are_reported(self, staff):
        response = staff.post(
            WHAT_IF,
            what_if_data(gold__min_revenue_12m="-5", platinum__min_enablement_completion_pct="x"),
            **HTMX,
        )
        assert response.status_code == 422
        assert response.context["result"] is None
        html = response.content.decode()
        assert "Some values cannot be used" in html
        assert "Gold: Revenue, 12 months" in html

    def test_without_htmx_the_whole_page_is_returned(self, staff):
        response = staff.post(WHAT_IF, what_if_data(gold__min_deals_won_12m="1"))
        assert response.status_code == 200
        assert "<html" in response.content.decode()

    def test_the_page_sends_back_todays_figures_for_comparison(self, staff):
        page = staff.get(WHAT_IF).content.decode()
        assert 'name="baseline_up"' in page
        response = staff.post(
            WHAT_IF,
            what_if_data(gold__min_deals_won_12m="1", baseline_up="7", baseline_down="3"),
            **HTMX,
        )
        html = response.content.decode()
        assert "7 under today's requirements" in html
        assert "3 under today's requirements" in html
