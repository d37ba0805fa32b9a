"""Every paginated list of the API runs the same number of SQL queries whatever the page size.

The endpoints are found by walking the URL resolver under /api/ (the routers of
prm/api/urls.py and of each app's api/urls.py): every ViewSet `list` route and every GET
action that answers a page (it calls `paginate_queryset`, e.g. /api/segments/{id}/members/).
Each endpoint gets more rows than the largest page from its builder below, every row with the
related rows its JSON shows (tier, tags, certifications, segments, …), so that a missing
select_related/prefetch_related shows as queries growing with the page. An endpoint without a
builder fails, so a new list endpoint cannot go unchecked.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from communications.models import (
    Campaign,
    CampaignOccurrence,
    Channel,
    ContactPreference,
    Message,
    Survey,
    SurveyResponse,
)
from deals.models import Account, DealConflict, DealRegistration, IncentiveRule
from enablement.models import ContentItem, Enrollment, LearningPath, LearningStep
from partners.models import (
    Certification,
    Contact,
    Partner,
    PartnerCertification,
    Tier,
    TierChange,
    TierChangeDirection,
    TierChangeSource,
)
from segments.models import (
    EvaluationRun,
    EvaluationStatus,
    EvaluationTrigger,
    Membership,
    MembershipEvent,
    MembershipEventKind,
    Segment,
)
from tests.communications.factories import (
    CampaignFactory,
    MessageFactory,
    OccurrenceFactory,
    SurveyResponseFactory,
)
from tests.deals.factories import (
    AccountFactory,
    DealRegistrationFactory,
    IncentiveRuleFactory,
)
from tests.enablement.factories import (
    ContentItemFactory,
    EnrollmentFactory,
    LearningPathFactory,
    LearningStepFactory,
)
from tests.partners.factories import (
    CertificationFactory,
    ContactFactory,
    IndustryFactory,
    PartnerCertificationFactory,
    PartnerFactory,
    TechnologyFactory,
    tier,
)
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db

PAGE_SIZES = (1, 10, 100)
ROWS = 120  # more than the largest page


@dataclass(frozen=True)
class ListRoute:
    name: str  # the URL name, e.g. "partner-list", "segment-members"
    viewset: type
    action: str
    is_detail: bool


def _api_list_routes() -> dict[str, ListRoute]:
    """Every GET route under /api/ whose ViewSet action paginates, by URL name."""
    routes: dict[str, ListRoute] = {}

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
                continue
            assert isinstance(pattern, URLPattern)
            actions = getattr(pattern.callback, "actions", None) or {}
            groups = pattern.pattern.regex.groupindex
            if not prefix.startswith("api/") or "get" not in actions or "format" in groups:
                continue
            viewset, action = pattern.callback.cls, actions["get"]
            method = getattr(viewset, action)
            paginates = "paginate_queryset" in inspect.getsource(method)
            pagination = pattern.callback.initkwargs.get(
                "pagination_class", viewset.pagination_class
            )
            if paginates and pagination is not None:
                routes[pattern.name] = ListRoute(pattern.name, viewset, action, bool(groups))

    walk(get_resolver().url_patterns, "")
    return routes


LIST_ROUTES = _api_list_routes()


# Rows, created set-based (bulk_create of factory-built objects) --------------------------


def _link(relation, rows, target) -> None:
    """Link every row to `target` through a many-to-many relation (e.g. Partner.industries),
    in one INSERT, whatever its through model names its columns."""
    field = relation.field
    through = field.remote_field.through
    through.objects.bulk_create(
        through(**{field.m2m_field_name(): row, field.m2m_reverse_field_name(): target})
        for row in rows
    )


def _partners(count: int = ROWS) -> list[Partner]:
    """Partners with a tier, an industry, a technology and an active certification each."""
    partners = Partner.objects.bulk_create(PartnerFactory.build_batch(count, tier=tier("gold")))
    industry, technology = IndustryFactory(), TechnologyFactory()
    certification = CertificationFactory()
    _link(Partner.industries, partners, industry)
    _link(Partner.technologies, partners, technology)
    PartnerCertification.objects.bulk_create(
        PartnerCertificationFactory.build(partner=partner, certification=certification)
        for partner in partners
    )
    return partners


def _contacts(count: int = ROWS) -> list[Contact]:
    """Contacts, each of a partner of its own."""
    return Contact.objects.bulk_create(
        ContactFactory.build(partner=partner) for partner in _partners(count)
    )


def _partner_rows(ctx) -> dict:
    _partners()
    return {}


def _contact_rows(ctx) -> dict:
    _contacts()
    return {}


def _tier_rows(ctx) -> dict:
    certification = CertificationFactory()
    tiers = Tier.objects.bulk_create(
        Tier(slug=f"load-tier-{n}", name=f"Load tier {n}", rank=100 + n) for n in range(ROWS)
    )
    _link(Tier.required_certifications, tiers, certification)
    return {}


def _tier_change_rows(ctx) -> dict:
    registered, silver = tier("registered"), tier("silver")
    TierChange.objects.bulk_create(
        TierChange(
            partner=partner,
            from_tier=registered,
            to_tier=silver,
            direction=TierChangeDirection.UP,
            source=TierChangeSource.SCHEDULE,
        )
        for partner in _partners()
    )
    return {}


def _segment_rows(ctx) -> dict:
    Segment.objects.bulk_create(SegmentFactory.build_batch(ROWS, owner=ctx.manager))
    return {}


def _segment_member_rows(ctx) -> dict:
    segment = SegmentFactory()
    now = timezone.now()
    Membership.objects.bulk_create(
        Membership(segment=segment, partner=partner, joined_at=now) for partner in _partners()
    )
    return {"pk": segment.pk}


def _segment_history_rows(ctx) -> dict:
    segment = SegmentFactory()
    now = timezone.now()
    MembershipEvent.objects.bulk_create(
        MembershipEvent(segment=segment, partner=partner, kind=MembershipEventKind.JOINED, at=now)
        for partner in _partners()
    )
    return {"pk": segment.pk}


def _segment_run_rows(ctx) -> dict:
    segment = SegmentFactory()
    now = timezone.now()
    EvaluationRun.objects.bulk_create(
        EvaluationRun(
            segment=segment,
            trigger=EvaluationTrigger.SCHEDULE,
            status=EvaluationStatus.SUCCEEDED,
            segment_version=1,
            started_at=now,
            finished_at=now,
            matched=1,
        )
        for _ in range(ROWS)
    )
    return {"pk": segment.pk}


def _content_rows(ctx) -> dict:
    segment = SegmentFactory()
    items = ContentItem.objects.bulk_create(ContentItemFactory.build_batch(ROWS))
    _link(ContentItem.segments, items, segment)
    return {}


def _learning_path_rows(ctx) -> dict:
    segment, content = SegmentFactory(), ContentItemFactory()
    paths = LearningPath.objects.bulk_create(LearningPathFactory.build_batch(ROWS))
    LearningStep.objects.bulk_create(
        LearningStepFactory.build(path=path, content=content, order=1) for path in paths
    )
    _link(LearningPath.segments, paths, segment)
    return {}


def _learning_step_rows(ctx) -> dict:
    path = LearningPathFactory()
    items = ContentItem.objects.bulk_create(ContentItemFactory.build_batch(ROWS))
    LearningStep.objects.bulk_create(
        LearningStepFactory.build(path=path, content=item, order=n + 1)
        for n, item in enumerate(items)
    )
    return {}


def _enrollment_rows(ctx) -> dict:
    path = LearningPathFactory()
    LearningStepFactory(path=path)
    Enrollment.objects.bulk_create(
        EnrollmentFactory.build(contact=contact, path=path) for contact in _contacts()
    )
    return {}


def _certification_rows(ctx) -> dict:
    Certification.objects.bulk_create(CertificationFactory.build_batch(ROWS))
    return {}


def _campaign_rows(ctx) -> dict:
    segment = SegmentFactory()
    campaigns = Campaign.objects.bulk_create(CampaignFactory.build_batch(ROWS))
    _link(Campaign.include_segments, campaigns, segment)
    return {}


def _deal_rows(ctx) -> dict:
    """Registrations of many partners and customers, each naming a technology and flagged
    against another registration (the list's conflicts and products are prefetched)."""
    partners = _partners()
    accounts = Account.objects.bulk_create(
        AccountFactory.build(domain=f"load-customer-{n}.example") for n in range(ROWS)
    )
    deals = DealRegistration.objects.bulk_create(
        DealRegistrationFactory.build(partner=partner, account=account, submitted_by=ctx.manager)
        for partner, account in zip(partners, accounts, strict=True)
    )
    _link(DealRegistration.technologies, deals, partners[0].technologies.first())
    DealConflict.objects.bulk_create(
        DealConflict(deal=deal, competing=other, matched_on="domain", similarity=1.0)
        for deal, other in zip(deals, deals[1:] + deals[:1], strict=True)
    )
    return {}


def _account_rows(ctx) -> dict:
    accounts = Account.objects.bulk_create(
        AccountFactory.build(domain=f"load-account-{n}.example") for n in range(ROWS)
    )
    DealRegistrationFactory(account=accounts[0])
    return {}


def _incentive_rule_rows(ctx) -> dict:
    segment = SegmentFactory()
    IncentiveRule.objects.bulk_create(
        IncentiveRuleFactory.build(segment=segment if n % 2 else None, tier=tier("gold"))
        for n in range(ROWS)
    )
    return {}


def _messages(*, contacts: list[Contact], channel: str = Channel.EMAIL) -> Campaign:
    """One message to each contact, each of an occurrence of its own of one campaign."""
    campaign = CampaignFactory()
    occurrences = CampaignOccurrence.objects.bulk_create(
        OccurrenceFactory.build_batch(len(contacts), campaign=campaign)
    )
    Message.objects.bulk_create(
        MessageFactory.build(
            occurrence=occurrence,
            campaign=campaign,
            contact=contact,
            partner=contact.partner,
            channel=channel,
        )
        for occurrence, contact in zip(occurrences, contacts, strict=True)
    )
    return campaign


def _campaign_message_rows(ctx) -> dict:
    return {"pk": _messages(contacts=_contacts()).pk}


def _campaign_occurrence_rows(ctx) -> dict:
    campaign = CampaignFactory()
    CampaignOccurrence.objects.bulk_create(OccurrenceFactory.build_batch(ROWS, campaign=campaign))
    return {"pk": campaign.pk}


def _contact_preference_rows(ctx) -> dict:
    ContactPreference.objects.bulk_create(
        ContactPreference(contact=contact) for contact in _contacts()
    )
    return {}


def _inbox_rows(ctx) -> dict:
    _messages(contacts=[ctx.partner_contact] * ROWS, channel=Channel.PORTAL)
    return {}


def _survey_rows(ctx) -> dict:
    campaigns = Campaign.objects.bulk_create(CampaignFactory.build_batch(ROWS))
    Survey.objects.bulk_create(Survey(campaign=campaign) for campaign in campaigns)
    return {}


def _survey_response_rows(ctx) -> dict:
    survey = Survey.objects.create(campaign=CampaignFactory())
    SurveyResponse.objects.bulk_create(
        SurveyResponseFactory.build(survey=survey, contact=contact, partner=contact.partner)
        for contact in _contacts()
    )
    return {"pk": survey.pk}


# URL name -> builder of more than ROWS rows; returns the URL's kwargs.
ROW_BUILDERS: dict[str, Callable] = {
    "partner-list": _partner_rows,
    "contact-list": _contact_rows,
    "tier-list": _tier_rows,
    "tier-change-list": _tier_change_rows,
    "segment-list": _segment_rows,
    "segment-members": _segment_member_rows,
    "segment-history": _segment_history_rows,
    "segment-runs": _segment_run_rows,
    "content-list": _content_rows,
    "learning-path-list": _learning_path_rows,
    "learning-step-list": _learning_step_rows,
    "enrollment-list": _enrollment_rows,
    "certification-list": _certification_rows,
    "campaign-list": _campaign_rows,
    "campaign-messages": _campaign_message_rows,
    "campaign-occurrences": _campaign_occurrence_rows,
    "contact-preference-list": _contact_preference_rows,
    "inbox-list": _inbox_rows,
    "survey-list": _survey_rows,
    "survey-responses": _survey_response_rows,
    "deal-list": _deal_rows,
    "account-list": _account_rows,
    "incentive-rule-list": _incentive_rule_rows,
}
# Lists only a partner user may read (a manager gets 403).
PARTNER_USER_LISTS = {"inbox-list"}


@dataclass
class Context:
    manager: object
    partner_contact: Contact


def test_the_walk_finds_the_main_list_endpoints():
    # given the routers of prm/api/urls.py and the apps' api/urls.py
    # then the walk finds lists of every app and the paginated actions on one object
    assert {"partner-list", "segment-list", "segment-members", "content-list"} <= set(LIST_ROUTES)
    assert {"campaign-list", "inbox-list"} <= set(LIST_ROUTES)
    assert "partner-detail" not in LIST_ROUTES


@pytest.mark.parametrize("name", sorted(LIST_ROUTES))
def test_list_endpoint_runs_the_same_queries_for_every_page_size(
    name, manager, manager_client, partner_user, partner_client
):
    # given more rows than the largest page
    builder = ROW_BUILDERS.get(name)
    if builder is None:
        pytest.fail(f"{name}: a paginated API list without a row builder in ROW_BUILDERS")
    contact = Contact.objects.get(user=partner_user)
    url = reverse(name, kwargs=builder(Context(manager=manager, partner_contact=contact)))
    client = partner_client if name in PARTNER_USER_LISTS else manager_client

    # when a page of each size is read (after one read: per-process caches are warm)
    client.get(url, {"page_size": 1})
    counts = {}
    for page_size in PAGE_SIZES:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, {"page_size": page_size})
        assert response.status_code == 200, f"{name}: {response.status_code} {response.content}"
        results = response.json()["results"]
        assert len(results) == page_size, f"{name}: {len(results)} rows for a page of {page_size}"
        counts[page_size] = len(queries)

    # then the number of queries does not grow with the page
    assert len(set(counts.values())) == 1, (
        f"{name}: queries by page size {counts}; the last page's queries:\n"
        + "\n".join(query["sql"][:300] for query in queries.captured_queries)
    )
