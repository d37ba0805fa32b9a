"""The portal's deal registration pages: the company's list (only its own, filters, pages, the
open pipeline, constant queries), registering one (draft, submit, the incentive preview,
errors that keep nothing), a registration's page (history, incentive, conflict text) and the
partner's actions on it, the attachment, and isolation from other companies."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from deals.models import (
    Account,
    DealRegistration,
    DealStatus,
    DealTransition,
    ExtensionStatus,
)
from deals.services import deal_approve, deal_create, deal_reject
from portal.views.deals import CONFLICT_NOTICE
from tests.deals.factories import DealRegistrationFactory, IncentiveRuleFactory
from tests.partners.factories import (
    ContactFactory,
    PartnerFactory,
    TechnologyFactory,
    UserFactory,
    tier,
)
from tests.segments.factories import MembershipFactory, StaticSegmentFactory

pytestmark = pytest.mark.django_db

LIST = reverse("portal:deals")
NEW = reverse("portal:deal_new")
ACTIONS = ("submit", "withdraw", "extension", "won", "lost")


def detail(pk):
    return reverse("portal:deal_detail", args=[pk])


def edit(pk):
    return reverse("portal:deal_edit", args=[pk])


def action(slug, pk):
    return reverse(f"portal:deal_{slug}", args=[pk])


def attachment(pk):
    return reverse("portal:deal_attachment", args=[pk])


def in_days(days):
    return timezone.localdate() + dt.timedelta(days=days)


@pytest.fixture
def partner():
    return PartnerFactory(name="Acme Integrations", tier=tier("silver"))


@pytest.fixture
def user(partner):
    user = UserFactory(username="anna", first_name="Anna", last_name="Schmidt")
    ContactFactory(partner=partner, user=user, first_name="Anna", last_name="Schmidt")
    return user


@pytest.fixture
def portal(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def rival():
    """Another company, with a login of its own."""
    other = PartnerFactory(name="Rival Networks")
    other_user = UserFactory(username="rita")
    ContactFactory(partner=other, user=other_user)
    return other, other_user


def register(partner, user, *, submit=False, **overrides):
    """A registration through the services, as the pages make them."""
    values = {
        "partner": partner,
        "user": user,
        "account_name": "Globex GmbH",
        "account_domain": "globex.de",
        "account_country": "DE",
        "name": "Globex data platform",
        "amount": "120000",
        "currency": "EUR",
        "expected_close_date": in_days(60),
        "submit": submit,
    }
    return deal_create(**{**values, **overrides})


def form_data(**overrides):
    data = {
        "account_name": "Initech Ltd",
        "account_domain": "initech.co.uk",
        "account_country": "GB",
        "name": "Initech cloud migration",
        "amount": "85000.00",
        "currency": "EUR",
        "expected_close_date": in_days(45).isoformat(),
        "notes": "Champion is the CTO.",
    }
    return {**data, **overrides}


def texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


# -- the list -------------------------------------------------------------------------------


def test_the_list_shows_only_the_companys_own_registrations(portal, partner, user, rival):
    # given a registration of ours and one of another company
    register(partner, user, name="Our platform deal")
    register(*rival, name="Their secret deal", account_name="Hidden Corp", account_domain="hid.de")

    # when we open the list
    response = portal.get(LIST)

    # then only ours is there
    content = response.content.decode()
    assert response.status_code == 200
    assert "Our platform deal" in content
    assert "Their secret deal" not in content
    assert "Hidden Corp" not in content
    assert "Rival Networks" not in content


def test_the_list_filters_by_status_and_searches_opportunity_and_customer(portal, partner, user):
    # given a draft and a submitted registration for different customers
    register(partner, user, name="Alpha rollout", account_name="Umbrella Corp")
    register(
        partner,
        user,
        name="Beta renewal",
        account_name="Stark Industries",
        account_domain="stark.com",
        submit=True,
    )

    # when we filter by state, then search the customer's name, then the opportunity's
    by_status = portal.get(LIST, {"status": "submitted"}).content.decode()
    by_customer = portal.get(LIST, {"q": "umbrella"}).content.decode()
    by_name = portal.get(LIST, {"q": "renewal"}).content.decode()

    # then each shows the matching registration only
    assert "Beta renewal" in by_status and "Alpha rollout" not in by_status
    assert "Alpha rollout" in by_customer and "Beta renewal" not in by_customer
    assert "Beta renewal" in by_name and "Alpha rollout" not in by_name


def test_an_unknown_status_filter_is_a_400(portal):
    # when the status filter names no state
    response = portal.get(LIST, {"status": "nonsense"})

    # then the page says so
    assert response.status_code == 400


def test_the_summary_adds_the_open_pipeline_per_currency_and_counts_each_state(
    portal, partner, user
):
    # given open registrations in two currencies, a draft and a rejected one
    register(partner, user, amount="100000", submit=True, account_domain="a1.de")
    register(partner, user, amount="25000", submit=True, account_domain="a2.de")
    register(partner, user, amount="40000", currency="USD", submit=True, account_domain="a3.de")
    register(partner, user, amount="999999", account_domain="a4.de")  # a draft: not open
    rejected = register(partner, user, amount="777777", submit=True, account_domain="a5.de")
    deal_reject(deal=rejected, user=UserFactory(is_staff=True), reason="Not a fit.")

    # when we open the list
    response = portal.get(LIST)

    # then the open pipeline is per currency, never added across them
    pipeline = response.context["pipeline"]
    assert {row["currency"]: row["amount"] for row in pipeline} == {
        "EUR": Decimal("125000.00"),
        "USD": Decimal("40000.00"),
    }
    assert response.context["open_count"] == 3
    counts = response.context["counts"]
    assert (counts["draft"], counts["submitted"], counts["rejected"], counts["total"]) == (
        1,
        3,
        1,
        5,
    )
    assert "€125,000" in response.content.decode()


def test_an_approved_row_shows_its_protection_countdown_and_locked_incentive(portal, partner, user):
    # given a rule and a registration approved under it
    IncentiveRuleFactory(discount_pct=Decimal("12.5"), rebate_pct=Decimal("3"), protection_days=23)
    deal = register(partner, user, submit=True)
    deal_approve(deal=deal, user=UserFactory(is_staff=True))

    # when we open the list
    content = portal.get(LIST).content.decode()

    # then the row counts the protection down and shows the incentive locked in
    assert "Protected for 23 more days" in content
    assert "Discount 12.50% · rebate 3.00%" in content


def test_the_list_has_pages_of_25_newest_first(portal, partner):
    # given 30 registrations
    deals = DealRegistrationFactory.create_batch(30, partner=partner)

    # when we open the first and the second page
    first = portal.get(LIST)
    second = portal.get(LIST, {"page": 2})

    # then the newest 25 come first and the rest on page 2
    assert [d.pk for d in first.context["page_obj"]] == [d.pk for d in reversed(deals)][:25]
    assert len(second.context["page_obj"].object_list) == 5


def test_the_list_takes_a_constant_number_of_queries(
    portal, partner, user, django_assert_max_num_queries
):
    # given one registration, and the queries its list takes
    register(partner, user, submit=True)
    portal.get(LIST)  # warm the session and the caches
    with CaptureQueriesContext(connection) as one:
        portal.get(LIST)
    # and then registrations in every state, approved ones with their countdown
    manager = UserFactory(is_staff=True)
    for n in range(12):
        deal = register(partner, user, submit=True, account_domain=f"many{n}.de")
        if n % 2:
            deal_approve(deal=deal, user=manager)
    DealRegistrationFactory.create_batch(10, partner=partner)

    # when the list shows a full page of them
    with django_assert_max_num_queries(len(one)):
        response = portal.get(LIST)

    # then it took no more queries than for one
    assert len(response.context["page_obj"].object_list) == 23


# -- registering ----------------------------------------------------------------------------


def test_a_partner_saves_a_draft(portal, partner, user):
    # given the products they can name
    TechnologyFactory(slug="aws", name="AWS")
    TechnologyFactory(slug="kubernetes", name="Kubernetes")

    # when they fill in the form and save a draft
    response = portal.post(
        NEW, {**form_data(technologies=["aws", "kubernetes"]), "intent": "draft"}
    )

    # then the draft is theirs, with its customer and products, and they see it
    deal = DealRegistration.objects.get()
    assert response.status_code == 302
    assert response.url == detail(deal.pk)
    assert (deal.partner, deal.submitted_by, deal.status) == (partner, user, DealStatus.DRAFT)
    assert (deal.name, deal.amount, deal.currency) == (
        "Initech cloud migration",
        Decimal("85000.00"),
        "EUR",
    )
    assert (deal.account.name, deal.account.domain, deal.account.country.code) == (
        "Initech Ltd",
        "initech.co.uk",
        "GB",
    )
    assert sorted(deal.technologies.values_list("slug", flat=True)) == ["aws", "kubernetes"]
    assert texts(response) == ["“Initech cloud migration” is saved as a draft."]


def test_the_form_starts_with_the_programs_currency(portal, settings):
    # given the program's currency
    settings.PRM_CURRENCY = "GBP"

    # when the form opens
    response = portal.get(NEW)

    # then the currency is filled in
    assert response.status_code == 200
    assert response.context["form"]["currency"].value() == "GBP"


def test_a_partner_registers_and_submits_at_once(portal, partner):
    # when they submit the form
    response = portal.post(NEW, {**form_data(), "intent": "submit"})

    # then it is submitted, with its history, and waits for review
    deal = DealRegistration.objects.get()
    assert response.status_code == 302
    assert deal.status == DealStatus.SUBMITTED
    assert list(deal.transitions.values_list("action", flat=True)) == ["create", "submit"]
    assert texts(response) == [
        "“Initech cloud migration” is submitted: the channel team reviews it."
    ]


def test_a_deal_under_the_auto_approval_limit_is_approved_on_submission(portal, partner):
    # given a rule that approves deals under 100,000 EUR at once
    IncentiveRuleFactory(auto_approve_below=Decimal("100000"), protection_days=60)

    # when a partner submits one of 85,000 EUR
    response = portal.post(NEW, {**form_data(), "intent": "submit"})

    # then it is approved and they are told how long it is protected
    deal = DealRegistration.objects.get()
    assert deal.status == DealStatus.APPROVED
    assert "approved at once" in texts(response)[0]


def test_missing_fields_are_shown_on_them_and_nothing_is_saved(portal):
    # when the form is sent without customer, opportunity or amount
    response = portal.post(
        NEW, {**form_data(account_name="", name="", amount=""), "intent": "submit"}
    )

    # then each is marked and nothing exists
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"account_name", "name", "amount"} <= set(errors)
    assert DealRegistration.objects.count() == 0
    assert Account.objects.count() == 0


def test_service_errors_land_on_their_fields_and_nothing_is_saved(portal):
    # when the close date is past and the domain is no domain (the service's checks)
    response = portal.post(
        NEW,
        {
            **form_data(expected_close_date=in_days(-3).isoformat(), account_domain="not a domain"),
            "intent": "submit",
        },
    )

    # then the service's messages are on those fields, and nothing is kept
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["expected_close_date"] == ["The expected close date is in the past."]
    assert "is not a web domain" in errors["account_domain"][0]
    assert DealRegistration.objects.count() == 0
    assert Account.objects.count() == 0
    assert DealTransition.objects.count() == 0


def test_an_attachment_that_is_not_what_it_claims_is_refused(portal):
    # given an HTML page named like a PDF
    fake = SimpleUploadedFile("quote.pdf", b"<html>not a pdf</html>", "application/pdf")

    # when it is attached to a registration
    response = portal.post(NEW, {**form_data(), "attachment": fake, "intent": "draft"})

    # then the attachment field says why, and nothing is saved
    assert response.status_code == 400
    assert response.context["form"].errors["attachment"]
    assert DealRegistration.objects.count() == 0


def test_the_preview_shows_the_rule_that_would_apply_and_saves_nothing(portal, partner):
    # given a rule for silver partners' mid-size EUR deals, and a broader one it beats
    IncentiveRuleFactory(name="Any EUR deal", discount_pct=Decimal("2"))
    IncentiveRuleFactory(
        name="Silver mid-market",
        tier=tier("silver"),
        min_amount=Decimal("50000"),
        max_amount=Decimal("250000"),
        discount_pct=Decimal("12.5"),
        rebate_pct=Decimal("3"),
        protection_days=120,
        auto_approve_below=Decimal("20000"),
    )

    # when the partner previews the incentive of an 85,000 EUR deal (the rest still empty)
    response = portal.post(NEW, {"amount": "85000", "currency": "EUR", "intent": "preview"})

    # then the page shows that rule, what it gives and why, and nothing is saved
    assert response.status_code == 200
    preview = response.context["preview"]
    assert (preview["rule"], preview["discount_pct"], preview["protection_days"]) == (
        "Silver mid-market",
        Decimal("12.50"),
        120,
    )
    assert preview["auto_approves"] is False
    content = response.content.decode()
    assert "Silver mid-market" in content
    assert "120 days" in content
    assert "tier + deal size" in content
    assert "Reviewed by the channel team" in content
    # the fields the preview does not need are not flagged yet
    assert set(response.context["form"].errors) == set()
    assert DealRegistration.objects.count() == 0


def test_the_preview_answers_htmx_with_its_card_only(portal):
    # given a rule that approves small deals at once
    IncentiveRuleFactory(name="Small deals", auto_approve_below=Decimal("10000"))

    # when htmx asks for the preview of a 5,000 EUR deal
    response = portal.post(
        NEW, {"amount": "5000", "currency": "EUR", "intent": "preview"}, HTTP_HX_REQUEST="true"
    )

    # then only the card comes back, saying it would be approved on submission
    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith("<section")
    assert "<html" not in content
    assert "Small deals" in content
    assert "approved as soon as you submit it" in content


def test_the_preview_never_names_the_vendors_segments(portal, partner):
    # given a rule for a segment the partner is in, and one for a segment it is not in
    mine = StaticSegmentFactory(name="Internal watchlist Q3")
    MembershipFactory(segment=mine, partner=partner)
    IncentiveRuleFactory(name="Watchlist boost", segment=mine, discount_pct=Decimal("20"))
    IncentiveRuleFactory(
        name="Other program",
        segment=StaticSegmentFactory(name="Strategic accounts only"),
    )

    # when the partner previews
    response = portal.post(NEW, {"amount": "85000", "currency": "EUR", "intent": "preview"})

    # then the applying rule is named, the segments are not
    content = response.content.decode()
    assert "Watchlist boost" in content
    assert "Internal watchlist Q3" not in content
    assert "Strategic accounts only" not in content
    assert "Other program" not in content


def test_a_preview_without_a_valid_amount_asks_for_one(portal):
    # when the amount is not a number
    response = portal.post(NEW, {"amount": "lots", "currency": "EUR", "intent": "preview"})

    # then the page asks for it
    assert response.status_code == 200
    assert response.context["preview"] == {"kind": "incomplete"}
    assert "amount" in response.context["form"].errors


def test_a_preview_without_a_matching_rule_says_so(portal):
    # given no rule (when the partner previews)
    response = portal.post(NEW, {"amount": "85000", "currency": "EUR", "intent": "preview"})

    # then the page says the default applies
    assert "No incentive rule matches this deal" in response.content.decode()


# -- editing a draft ------------------------------------------------------------------------


def test_a_draft_is_edited_and_then_submitted(portal, partner, user):
    # given a draft
    deal = register(partner, user)

    # when the form opens it is filled in, and the partner changes the amount and submits
    opened = portal.get(edit(deal.pk))
    response = portal.post(edit(deal.pk), {**form_data(amount="99000"), "intent": "submit"})

    # then the registration has the new amount and is submitted
    assert opened.context["form"]["name"].value() == "Globex data platform"
    deal.refresh_from_db()
    assert response.status_code == 302
    assert (deal.amount, deal.status) == (Decimal("99000.00"), DealStatus.SUBMITTED)


def test_a_refused_submission_from_the_edit_page_keeps_the_draft_as_it_was(portal, partner, user):
    # given a draft
    deal = register(partner, user)

    # when the edit sets a past close date and submits
    response = portal.post(
        edit(deal.pk),
        {
            **form_data(name="Renamed", expected_close_date=in_days(-1).isoformat()),
            "intent": "submit",
        },
    )

    # then the error is shown and the draft is unchanged
    assert response.status_code == 400
    deal.refresh_from_db()
    assert (deal.name, deal.status) == ("Globex data platform", DealStatus.DRAFT)


def test_an_edit_keeps_the_attachment_when_no_new_file_is_chosen(portal, partner, user):
    # given a draft with a quote attached
    deal = register(
        partner,
        user,
        attachment=SimpleUploadedFile("quote.pdf", b"%PDF-1.4 quote", "application/pdf"),
    )
    kept = deal.attachment.name

    # when it is saved without choosing a file
    portal.post(edit(deal.pk), {**form_data(), "intent": "draft"})

    # then the quote is still attached
    deal.refresh_from_db()
    assert deal.attachment.name == kept


def test_a_submitted_registration_cannot_be_edited(portal, partner, user):
    # given a submitted registration
    deal = register(partner, user, submit=True)

    # when the partner opens its edit page, or posts to it
    opened = portal.get(edit(deal.pk))
    posted = portal.post(edit(deal.pk), {**form_data(name="Changed"), "intent": "draft"})

    # then they are sent back to its page, told why, and nothing changed
    assert opened.status_code == posted.status_code == 302
    assert opened.url == detail(deal.pk)
    assert "Only a draft can be edited" in texts(opened)[0]
    deal.refresh_from_db()
    assert deal.name == "Globex data platform"


# -- a registration's page ------------------------------------------------------------------


def test_the_page_shows_the_history_with_staff_as_the_channel_team(portal, partner, user):
    # given a registration submitted by the partner and approved by a manager
    manager = UserFactory(
        username="mgr-jsmith", first_name="John", last_name="Smith", is_staff=True
    )
    deal = register(partner, user, submit=True)
    deal_approve(deal=deal, user=manager, reason="Good fit for the program.")

    # when the partner opens it
    response = portal.get(detail(deal.pk))

    # then the history reads "You" and "Channel team", never the manager's name or login
    content = response.content.decode()
    who = [row["who"] for row in response.context["history"]]
    assert who == ["You", "You", "Channel team"]
    assert "mgr-jsmith" not in content
    assert "John Smith" not in content
    assert "Good fit for the program." in content


def test_the_page_shows_a_colleagues_name_and_automatic_steps(portal, partner):
    # given a colleague's registration, approved on submission by a rule
    colleague = UserFactory(username="bob", first_name="Bob", last_name="Builder")
    ContactFactory(partner=partner, user=colleague)
    IncentiveRuleFactory(auto_approve_below=Decimal("1000000"))
    deal = register(partner, colleague, submit=True)

    # when the partner opens it
    response = portal.get(detail(deal.pk))

    # then the colleague is named and the auto-approval is automatic
    assert [row["who"] for row in response.context["history"]] == [
        "Bob Builder",
        "Bob Builder",
        "Automatic",
    ]


def test_the_page_shows_the_locked_incentive_and_its_explanation(portal, partner, user):
    # given a registration approved under a rule, and the rule changed since
    rule = IncentiveRuleFactory(
        name="Partner standard", discount_pct=Decimal("8"), rebate_pct=Decimal("2"),
        protection_days=90,
    )  # fmt: skip
    deal = register(partner, user, submit=True)
    deal_approve(deal=deal, user=UserFactory(is_staff=True))
    rule.discount_pct = Decimal("1")
    rule.save()

    # when the partner opens it
    response = portal.get(detail(deal.pk))

    # then it shows what was locked in, its rule and why, and the protection left
    incentive = response.context["incentive"]
    assert incentive["kind"] == "locked"
    assert (incentive["rule"], incentive["discount_pct"]) == ("Partner standard", Decimal("8.00"))
    content = response.content.decode()
    assert "Partner standard" in content
    assert "Protected for 90 more days" in content
    assert response.context["days_protected"] == 90


def test_a_conflict_never_names_the_other_partner(portal, partner, user, rival):
    # given another partner's open registration for the same customer
    other, other_user = rival
    register(other, other_user, name="Rival bid for Globex", submit=True)

    # when we register the same customer and submit
    portal.post(
        NEW,
        {**form_data(account_name="Globex GmbH", account_domain="globex.de"), "intent": "submit"},
    )
    deal = DealRegistration.objects.get(partner=partner)
    response = portal.get(detail(deal.pk))
    listing = portal.get(LIST)

    # then our page says it is under review, and nothing of theirs shows
    assert deal.has_conflict
    content = response.content.decode()
    assert CONFLICT_NOTICE in content
    for page in (content, listing.content.decode()):
        assert "Rival Networks" not in page
        assert "Rival bid for Globex" not in page


# -- actions ---------------------------------------------------------------------------------


def test_a_draft_is_submitted_from_its_page(portal, partner, user):
    # given a draft
    deal = register(partner, user)

    # when the partner submits it
    response = portal.post(action("submit", deal.pk))

    # then it is submitted
    deal.refresh_from_db()
    assert response.url == detail(deal.pk)
    assert deal.status == DealStatus.SUBMITTED
    assert "is submitted" in texts(response)[0]


def test_a_submitted_registration_is_withdrawn_with_a_reason(portal, partner, user):
    # given a submitted registration
    deal = register(partner, user, submit=True)

    # when the partner withdraws it, saying why
    response = portal.post(action("withdraw", deal.pk), {"reason": "Customer paused the project."})

    # then it is withdrawn and the reason recorded
    deal.refresh_from_db()
    assert response.status_code == 302
    assert deal.status == DealStatus.WITHDRAWN
    assert deal.transitions.last().reason == "Customer paused the project."
    assert texts(response) == ["“Globex data platform” is withdrawn."]


@pytest.fixture
def approved(partner, user):
    deal = register(partner, user, submit=True)
    return deal_approve(deal=deal, user=UserFactory(is_staff=True))


def test_an_extension_is_requested_once(portal, approved):
    # when the partner asks for 30 more days, then asks again
    first = portal.post(action("extension", approved.pk), {"days": "30", "reason": "Board delay."})
    second = portal.post(action("extension", approved.pk), {"days": "10", "reason": "Again."})

    # then the first is requested and the second refused with the reason
    approved.refresh_from_db()
    assert first.status_code == 302
    assert (approved.extension_status, approved.extension_days) == (ExtensionStatus.REQUESTED, 30)
    assert second.status_code == 302
    assert "already asked" in texts(second)[-1]
    assert approved.extension_reason == "Board delay."


def test_an_extension_beyond_the_maximum_is_shown_on_its_field(portal, approved, settings):
    # given a maximum of 60 days
    settings.PRM_DEAL_EXTENSION_MAX_DAYS = 60

    # when the partner asks for 90, or gives no reason
    too_long = portal.post(action("extension", approved.pk), {"days": "90", "reason": "Long."})
    no_reason = portal.post(action("extension", approved.pk), {"days": "30", "reason": ""})

    # then the page shows why on the fields and nothing is asked
    assert too_long.status_code == no_reason.status_code == 400
    assert too_long.context["actions"][0]["form"].errors["days"] == ["Between 1 and 60 days."]
    assert "reason" in no_reason.context["actions"][0]["form"].errors
    approved.refresh_from_db()
    assert approved.extension_status == ExtensionStatus.NONE


@pytest.mark.parametrize(("slug", "status"), [("won", DealStatus.WON), ("lost", DealStatus.LOST)])
def test_an_approved_deal_is_marked_won_or_lost(portal, approved, slug, status):
    # when the partner closes it
    response = portal.post(action(slug, approved.pk), {"reason": "Decided in the board."})

    # then it is closed so
    approved.refresh_from_db()
    assert response.status_code == 302
    assert approved.status == status
    assert approved.closed_at is not None


def test_an_invalid_transition_is_told_and_changes_nothing(portal, partner, user):
    # given a draft
    deal = register(partner, user)

    # when the partner tries to mark it won
    response = portal.post(action("won", deal.pk), follow=True)

    # then the page says why it cannot be, and the draft stays a draft
    assert response.status_code == 200
    assert (
        "Cannot mark won a draft registration (only an approved one)." in response.content.decode()
    )
    deal.refresh_from_db()
    assert deal.status == DealStatus.DRAFT


def test_an_invalid_transition_answers_htmx_with_409(portal, partner, user):
    # given a withdrawn registration
    deal = register(partner, user, submit=True)
    portal.post(action("withdraw", deal.pk))

    # when htmx asks to withdraw it again
    response = portal.post(action("withdraw", deal.pk), HTTP_HX_REQUEST="true")

    # then it is a conflict with the reason
    assert response.status_code == 409
    assert "withdrawn registration" in response.content.decode()


def test_the_page_offers_only_the_actions_of_the_state(portal, partner, user, approved):
    # given a draft and an approved registration
    draft = register(partner, user, account_domain="draft.de")

    # when each page opens
    draft_actions = [a["action"].slug for a in portal.get(detail(draft.pk)).context["actions"]]
    approved_actions = [
        a["action"].slug for a in portal.get(detail(approved.pk)).context["actions"]
    ]

    # then each offers what its state allows
    assert draft_actions == ["submit"]
    assert approved_actions == ["extension", "won", "lost"]


# -- the attachment --------------------------------------------------------------------------


def test_the_attachment_downloads_for_its_company(portal, partner, user):
    # given a registration with a quote attached
    deal = register(
        partner,
        user,
        attachment=SimpleUploadedFile("quote.pdf", b"%PDF-1.4 the quote", "application/pdf"),
    )

    # when the partner downloads it
    response = portal.get(attachment(deal.pk))

    # then the file comes back as a private download
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 the quote"
    assert response["Cache-Control"] == "private, no-store"
    assert 'filename="quote.pdf"' in response["Content-Disposition"]


def test_a_registration_without_attachment_has_none_to_download(portal, partner, user):
    deal = register(partner, user)

    assert portal.get(attachment(deal.pk)).status_code == 404


# -- isolation -------------------------------------------------------------------------------


@pytest.fixture
def their_deal(rival):
    other, other_user = rival
    return register(
        other,
        other_user,
        attachment=SimpleUploadedFile("theirs.pdf", b"%PDF-1.4 theirs", "application/pdf"),
    )


@pytest.mark.parametrize(
    "url_of",
    [detail, edit, attachment],
    ids=["detail", "edit", "attachment"],
)
def test_another_companys_registration_is_a_404(portal, their_deal, url_of):
    assert portal.get(url_of(their_deal.pk)).status_code == 404


@pytest.mark.parametrize("slug", ACTIONS)
def test_another_companys_registration_takes_no_action(portal, their_deal, slug):
    # when we post an action (or an edit) on their registration
    response = portal.post(action(slug, their_deal.pk), {"reason": "x", "days": "10"})
    edited = portal.post(edit(their_deal.pk), {**form_data(), "intent": "submit"})

    # then it is not there for us, and it is as it was
    assert response.status_code == edited.status_code == 404
    their_deal.refresh_from_db()
    assert (their_deal.status, their_deal.name) == (DealStatus.DRAFT, "Globex data platform")


def test_staff_and_anonymous_visitors_do_not_use_the_portal_pages(client, manager):
    # when an anonymous visitor, then a manager, opens the list
    anonymous = client.get(LIST)
    client.force_login(manager)
    staff = client.get(LIST)

    # then the first is sent to sign in, the second refused
    assert anonymous.status_code == 302
    assert staff.status_code == 403


# -- the home card ---------------------------------------------------------------------------


def test_the_home_page_sums_up_the_companys_deals(portal, partner, user, rival):
    # given a submitted registration and a draft of ours, and another company's registration
    register(partner, user, amount="64000", submit=True)
    register(partner, user, account_domain="draft.de")
    register(*rival, amount="5000000", submit=True, account_domain="theirs.de")

    # when we open the portal's home
    response = portal.get(reverse("portal:home"))

    # then its deals card counts only ours and links to the pages
    content = response.content.decode()
    summary = response.context["deal_summary"]
    assert (summary["counts"]["submitted"], summary["counts"]["draft"]) == (1, 1)
    assert [row["amount"] for row in summary["pipeline"]] == [Decimal("64000.00")]
    assert "1 awaiting review" in content
    assert "1 draft to finish" in content
    assert reverse("portal:deal_new") in content
