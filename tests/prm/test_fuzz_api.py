"""The whole REST API fuzzed from its own OpenAPI schema (schemathesis), as a channel manager
and as a partner user: no request is answered 5xx, and every answer is one the schema
documents (status code, content type, body).

The schema is read from the Django WSGI application itself, and the requests go through it in
this thread, so they run inside the test's transaction: no server, nothing left behind. Paths
with an id mostly name rows of the `api_rows` fixture, so the examples reach real objects
(the rest stay random ids, answered 404). The run is bounded and derandomised for CI.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from deals.models import DealStatus
from prm.wsgi import application
from tests.communications.factories import (
    CampaignFactory,
    ContactPreferenceFactory,
    MessageFactory,
    OccurrenceFactory,
    SurveyFactory,
    SurveyResponseFactory,
)
from tests.deals.factories import DealRegistrationFactory, IncentiveRuleFactory
from tests.enablement.factories import (
    ContentItemFactory,
    EnrollmentFactory,
    LearningPathFactory,
    LearningStepFactory,
)
from tests.partners.factories import (
    CertificationFactory,
    ContactFactory,
    PartnerCertificationFactory,
    PartnerFactory,
    UserFactory,
)
from tests.segments.factories import MembershipFactory, SegmentFactory, StaticSegmentFactory

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
# The coverage phase sends every boundary value of every parameter whatever max_examples
# says (7.5 minutes for the two callers here); the bounded random phases stay.
schema.config.phases.coverage.enabled = False

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

FUZZ_SETTINGS = dict(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # the rows and tokens are made once per operation
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """The WSGI handler closes the database connection at the end of a request, which would
    end the test's transaction; Django's test client keeps it open the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _token(user) -> str:
    _, token = AuthToken.objects.create(user=user)
    return token


@pytest.fixture
def api_rows(db) -> dict[str, list]:
    """A little of everything the API serves, keyed by the first segment of its path; the
    partner user's company has a contact, messages, an enrolment and a survey answer."""
    partners = [
        PartnerFactory(industries=["banking"], technologies=["aws"]),
        PartnerFactory(),
        PartnerFactory(),
    ]
    manager = UserFactory(username="fuzz-manager", is_staff=True)
    partner_user = UserFactory(username="fuzz-partner-user")
    partner_contact = ContactFactory(partner=partners[0], user=partner_user)
    contacts = [partner_contact, ContactFactory(partner=partners[1])]
    certification = CertificationFactory()
    PartnerCertificationFactory(partner=partners[0], certification=certification)
    dynamic = SegmentFactory(rule={"all": [{"field": "region", "op": "eq", "value": "emea"}]})
    static = StaticSegmentFactory()
    MembershipFactory(segment=static, partner=partners[1])
    content = ContentItemFactory()
    path = LearningPathFactory()
    step = LearningStepFactory(path=path, content=content)
    enrollment = EnrollmentFactory(contact=partner_contact, path=path)
    campaign = CampaignFactory(include_segments=[dynamic])
    occurrence = OccurrenceFactory(campaign=campaign)
    message = MessageFactory(occurrence=occurrence, contact=partner_contact)
    survey = SurveyFactory(campaign=campaign)
    SurveyResponseFactory(survey=survey, contact=contacts[1])
    preference = ContactPreferenceFactory(contact=contacts[1])
    own_deal = DealRegistrationFactory(partner=partners[0], submitted_by=partner_user)
    other_deal = DealRegistrationFactory(partner=partners[1], status=DealStatus.SUBMITTED)
    rule = IncentiveRuleFactory()
    return {
        "manager_token": _token(manager),
        "partner_token": _token(partner_user),
        "partners": [partner.pk for partner in partners],
        "contacts": [contact.pk for contact in contacts],
        "certifications": [certification.pk],
        "segments": [dynamic.pk, static.pk],
        "content": [content.pk],
        "learning-paths": [path.pk],
        "learning-steps": [step.pk],
        "enrollments": [enrollment.pk],
        "campaigns": [campaign.pk],
        "inbox": [message.pk],
        "surveys": [survey.pk],
        "contact-preferences": [preference.pk],
        "deals": [own_deal.pk, other_deal.pk],
        "accounts": [own_deal.account_id, other_deal.account_id],
        "incentive-rules": [rule.pk],
    }


def _aim_at_real_rows(case, rows: dict[str, list]) -> None:
    """Three generated ids in four are swapped for the id of a real row of the resource."""
    generated = case.path_parameters.get("id") if case.path_parameters else None
    if not isinstance(generated, int) or generated % 4 == 3:
        return
    resource = case.path.removeprefix("/api/").split("/")[0]
    if resource == "enablement":  # the gated download of a content file
        resource = "content"
    ids = rows.get(resource)
    if ids:
        case.path_parameters["id"] = ids[generated % len(ids)]


def _call_and_validate(case, rows, caller: str) -> None:
    """One example, undone afterwards: every example starts from the fixture's rows (a delete
    does not take them from the next one), and a statement the database refused does not
    leave the test's transaction aborted."""
    _aim_at_real_rows(case, rows)
    token = rows[f"{caller}_token"]
    savepoint = transaction.savepoint()
    try:
        case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
    finally:
        transaction.savepoint_rollback(savepoint)


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=8, **FUZZ_SETTINGS)
def test_api_as_channel_manager(case, api_rows):
    _call_and_validate(case, api_rows, "manager")


@pytest.mark.django_db
@schema.parametrize()
# A partner user is refused almost everywhere (403): fewer examples tell as much.
@settings(max_examples=4, **FUZZ_SETTINGS)
def test_api_as_partner_user(case, api_rows):
    _call_and_validate(case, api_rows, "partner")
