"""Bad input across the uploads and bodies of the API and the manager pages: a clear 4xx with
a message, never a 500, and nothing written."""

import io
import zipfile
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from communications.models import Campaign
from enablement.models import ContentItem, LearningStep
from partners.models import Contact, Partner
from segments.models import Membership, Segment
from tests.enablement.factories import ContentItemFactory, LearningPathFactory
from tests.partners.factories import ContactFactory, PartnerFactory, UserFactory
from tests.segments.factories import StaticSegmentFactory

pytestmark = pytest.mark.django_db

PARTNER_HEADER = (
    "external_id,name,partner_type,tier,region,country,employee_count,annual_revenue,"
    "lifecycle_stage,joined_at,tech_savviness,industries,technologies,certifications,"
    "revenue_12m,deals_won_12m"
)
PARTNER_ROW = "P-1,Acme,var,silver,emea,DE,10,1000,active,2021-01-05,3,,,,,"
CONTACT_HEADER = "partner_external_id,first_name,last_name,email,role,email_opt_in"


def _xlsx_bomb() -> bytes:
    """A small zip named .xlsx whose one member unpacks to 50 MB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (50 * 2**20))
    return buffer.getvalue()


BAD_IMPORT_FILES = {
    "empty file": ("partners.csv", b""),
    "not utf-8": ("partners.csv", (PARTNER_HEADER + "\nP-1,Caf\xe9,var\n").encode("latin-1")),
    "ragged rows": ("partners.csv", f"{PARTNER_HEADER}\n{PARTNER_ROW},extra,cells\nP-2\n".encode()),
    "nul bytes": ("partners.csv", f"{PARTNER_HEADER}\n{PARTNER_ROW}\0\n".encode()),
    "renamed binary": ("partners.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4),
    "garbage xlsx": ("partners.xlsx", b"this is not a zip archive at all"),
    "zip that is no workbook": ("partners.xlsx", _xlsx_bomb()),
    "unknown extension": ("partners.txt", f"{PARTNER_HEADER}\n{PARTNER_ROW}\n".encode()),
    "year 99999": (
        "partners.csv",
        f"{PARTNER_HEADER}\n{PARTNER_ROW}".replace("2021", "99999").encode(),
    ),
    "number beyond bigint": (
        "partners.csv",
        f"{PARTNER_HEADER}\n{PARTNER_ROW.replace(',10,', ',99999999999999999999999,')}".encode(),
    ),
    "revenue 1e309": (
        "partners.csv",
        f"{PARTNER_HEADER}\n{PARTNER_ROW.replace(',1000,', ',1e309,')}".encode(),
    ),
    "revenue NaN": (
        "partners.csv",
        f"{PARTNER_HEADER}\n{PARTNER_ROW.replace(',1000,', ',NaN,')}".encode(),
    ),
}


def _assert_clear_400(response) -> None:
    assert response.status_code == 400, response.content[:500]
    assert response.content.strip()  # says what is wrong


@pytest.mark.parametrize("case", BAD_IMPORT_FILES, ids=list(BAD_IMPORT_FILES))
@pytest.mark.parametrize("kind", ["partners", "contacts"])
def test_api_import_refuses_a_bad_file_with_400_and_writes_nothing(manager_client, kind, case):
    # given
    name, content = BAD_IMPORT_FILES[case]
    upload = SimpleUploadedFile(name.replace("partners", kind), content)

    # when
    response = manager_client.post(f"/api/{kind}/import/", {"file": upload}, format="multipart")

    # then
    _assert_clear_400(response)
    assert response.json()["errors"] or response.json()
    assert not Partner.objects.exists()
    assert not Contact.objects.exists()


def test_api_import_refuses_a_file_over_the_size_limit(manager_client, settings):
    settings.PRM_IMPORT_MAX_BYTES = 100
    upload = SimpleUploadedFile("partners.csv", f"{PARTNER_HEADER}\n{PARTNER_ROW}\n".encode())

    response = manager_client.post("/api/partners/import/", {"file": upload}, format="multipart")

    _assert_clear_400(response)
    assert not Partner.objects.exists()


def test_api_import_without_a_file_is_400(manager_client):
    response = manager_client.post("/api/partners/import/", {}, format="multipart")

    _assert_clear_400(response)
    assert response.json()["errors"][0]["column"] == "file"  # the documented import shape


def test_api_import_of_a_header_only_file_imports_nothing(manager_client):
    # Not malformed: a file of no rows is an import of nothing, as an empty list would be.
    upload = SimpleUploadedFile("partners.csv", PARTNER_HEADER.encode())

    response = manager_client.post("/api/partners/import/", {"file": upload}, format="multipart")

    assert response.status_code == 201
    assert response.json() == {"created": 0, "updated": 0}


@pytest.mark.parametrize("case", BAD_IMPORT_FILES, ids=list(BAD_IMPORT_FILES))
def test_import_page_refuses_a_bad_file_with_400_and_writes_nothing(client, manager, case):
    # given
    client.force_login(manager)
    name, content = BAD_IMPORT_FILES[case]

    # when
    response = client.post(
        "/partners/import/", {"kind": "partners", "file": SimpleUploadedFile(name, content)}
    )

    # then
    _assert_clear_400(response)
    assert not Partner.objects.exists()


MEMBER_FILES = {
    "empty file": b"",
    "no external_id column": b"id\n1\n",
    "not utf-8": "external_id\nCaf\xe9\n".encode("latin-1"),
    "nul bytes": b"external_id\nP-1\0\n",
    "renamed binary": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
}


@pytest.mark.parametrize("case", MEMBER_FILES, ids=list(MEMBER_FILES))
def test_static_segment_member_upload_refuses_a_bad_file(manager_client, case):
    segment = StaticSegmentFactory()
    PartnerFactory(external_id="P-1")
    upload = SimpleUploadedFile("members.csv", MEMBER_FILES[case])

    response = manager_client.post(
        f"/api/segments/{segment.pk}/members/import/", {"file": upload}, format="multipart"
    )

    _assert_clear_400(response)
    assert not Membership.objects.exists()


def test_static_segment_member_upload_refuses_a_file_over_the_size_limit(manager_client, settings):
    settings.PRM_IMPORT_MAX_BYTES = 20
    segment = StaticSegmentFactory()
    PartnerFactory(external_id="P-1")
    upload = SimpleUploadedFile("members.csv", b"external_id\nP-1\nP-1\nP-1\nP-1\n")

    response = manager_client.post(
        f"/api/segments/{segment.pk}/members/import/", {"file": upload}, format="multipart"
    )

    _assert_clear_400(response)
    assert not Membership.objects.exists()


MALFORMED_BODIES = {
    "not json": "{not json",
    "truncated": '{"name": "A", "slug": ',
    "NaN literal": '{"name": "A", "objective": "o", "kind": "dynamic", "rule": {"all": [{"field": '
    '"annual_revenue", "op": "gte", "value": NaN}]}}',
    "1e309": '{"name": "A", "objective": "o", "kind": "dynamic", "rule": {"all": [{"field": '
    '"annual_revenue", "op": "gte", "value": 1e309}]}}',
    "huge int": '{"name": "A", "objective": "o", "kind": "dynamic", "rule": {"all": [{"field": '
    '"employee_count", "op": "gte", "value": 99999999999999999999999999}]}}',
    "deep nesting": '{"name": "A", "objective": "o", "kind": "dynamic", "rule": '
    + '{"all": [' * 5000
    + "]}" * 5000
    + "}",
    "date year 99999": '{"name": "A", "objective": "o", "kind": "dynamic", "rule": {"all": [{'
    '"field": "joined_at", "op": "after", "value": "99999-01-01"}]}}',
    "a list, not an object": "[1, 2, 3]",
}


@pytest.mark.parametrize("case", MALFORMED_BODIES, ids=list(MALFORMED_BODIES))
def test_segment_create_refuses_a_malformed_body(manager_client, case):
    response = manager_client.generic(
        "POST", "/api/segments/", MALFORMED_BODIES[case], content_type="application/json"
    )

    _assert_clear_400(response)
    assert not Segment.objects.exists()


BAD_PARTNER_FIELDS = {
    "employee_count beyond bigint": {"employee_count": 10**30},
    "employee_count negative": {"employee_count": -5},
    "annual_revenue 1e309": {"annual_revenue": "1e309"},
    "annual_revenue NaN": {"annual_revenue": "NaN"},
    "annual_revenue too many digits": {"annual_revenue": "1" * 40},
    "joined_at year 99999": {"joined_at": "99999-01-01"},
    "joined_at not a date": {"joined_at": "yesterday"},
    "tech_savviness out of 1-5": {"tech_savviness": 9},
    "attributes not an object": {"attributes": [1, 2]},
}


@pytest.mark.parametrize("case", BAD_PARTNER_FIELDS, ids=list(BAD_PARTNER_FIELDS))
def test_partner_create_refuses_an_out_of_range_value(manager_client, case):
    body = {"external_id": "P-1", "name": "Acme", "partner_type": "var"}
    body.update(BAD_PARTNER_FIELDS[case])

    response = manager_client.post("/api/partners/", body, format="json")

    _assert_clear_400(response)
    assert not Partner.objects.exists()


BAD_QUERIES = [
    "/api/partners/?page_size=-1",
    "/api/partners/?page=-3",
    "/api/partners/?page=99999999999999999999999",
    "/api/partners/?employee_count_min=99999999999999999999999",
    "/api/partners/?annual_revenue_min=1e309",
    "/api/partners/?annual_revenue_min=NaN",
    "/api/partners/?joined_at_after=99999-01-01",
    "/api/partners/?updated_at_after=2020-01-01T00:00:00%2B23:30",
    "/api/enrollments/?due_before=1347-06-09T10:00:07%2B16:16",
    "/api/segments/99999999999999999999999/",
    "/api/segments/1/explain/?partner=99999999999999999999999",
    "/api/partners/0.5/",
]


@pytest.mark.parametrize("url", BAD_QUERIES)
def test_out_of_range_query_is_a_json_4xx(manager_client, url):
    PartnerFactory()

    response = manager_client.get(url)

    assert response.status_code < 500
    if response.status_code >= 400:
        assert response["Content-Type"] == "application/json"
        assert response.json()


def test_token_obtain_refuses_an_overlong_username_with_400(api_client):
    # Found by the fuzzer: the lockout record's username column holds 255 characters.
    response = api_client.post(
        "/api/auth/token/", {"username": "u" * 300, "password": "x"}, format="json"
    )

    _assert_clear_400(response)
    assert "username" in response.json()


def test_unknown_api_path_is_a_json_404(manager_client):
    # Found by the fuzzer: an id of the wrong shape fell through to the site's HTML 404.
    response = manager_client.get("/api/campaigns/0.5/audience/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_time_zone_offset_past_the_database_range_is_400(manager_client):
    # Found by the fuzzer: PostgreSQL refuses offsets past ±15:59 (a DataError, was a 500).
    response = manager_client.get("/api/enrollments/?due_before=1347-06-09T10:00:07%2B16:16")

    assert response.status_code == 400
    assert response.json()


def test_an_api_path_without_its_slash_still_redirects(manager_client):
    response = manager_client.get("/api/partners")

    assert response.status_code == 301
    assert response["Location"] == "/api/partners/"


# ---------------------------------------------------------------------------------------
# Enablement content uploads: the manager's form and the API
# ---------------------------------------------------------------------------------------

PDF = b"%PDF-1.7\n" + b"0" * 200

BAD_CONTENT_FILES = {
    "empty file": ("guide.pdf", b""),
    "renamed binary": ("guide.pdf", b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 4),
    "renamed binary as text": ("notes.txt", b"MZ\x90\x00\x03\x00\x00\x00" + bytes(range(256))),
    "executable extension": ("setup.exe", b"MZ\x90\x00" + bytes(range(256))),
    "no extension": ("guide", PDF),
}


def _content_upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def _content_form(upload: SimpleUploadedFile) -> dict:
    return {
        "kind": "document",
        "title": "Guide",
        "source": "file",
        "file": upload,
        "publication": "draft",
    }


@pytest.mark.parametrize("case", BAD_CONTENT_FILES, ids=list(BAD_CONTENT_FILES))
def test_content_form_refuses_a_bad_file_with_400(client, manager, case):
    # given
    client.force_login(manager)

    # when
    response = client.post(
        "/enablement/content/new/", _content_form(_content_upload(*BAD_CONTENT_FILES[case]))
    )

    # then
    _assert_clear_400(response)
    assert response.context["form"].errors["file"]
    assert not ContentItem.objects.exists()


def test_content_form_refuses_a_file_over_the_size_limit(client, manager, settings):
    settings.PRM_CONTENT_MAX_UPLOAD_BYTES = 100
    client.force_login(manager)

    response = client.post("/enablement/content/new/", _content_form(_content_upload("g.pdf", PDF)))

    _assert_clear_400(response)
    assert "limit" in str(response.context["form"].errors["file"])
    assert not ContentItem.objects.exists()


@pytest.mark.parametrize("case", BAD_CONTENT_FILES, ids=list(BAD_CONTENT_FILES))
def test_content_api_refuses_a_bad_file_with_400(manager_client, case):
    response = manager_client.post(
        "/api/content/",
        {"kind": "document", "title": "Guide", "file": _content_upload(*BAD_CONTENT_FILES[case])},
        format="multipart",
    )

    _assert_clear_400(response)
    assert response.json()["file"]
    assert not ContentItem.objects.exists()


def test_content_api_refuses_a_file_over_the_size_limit(manager_client, settings):
    settings.PRM_CONTENT_MAX_UPLOAD_BYTES = 100

    response = manager_client.post(
        "/api/content/",
        {"kind": "document", "title": "Guide", "file": _content_upload("g.pdf", PDF)},
        format="multipart",
    )

    _assert_clear_400(response)
    assert "limit" in str(response.json()["file"])
    assert not ContentItem.objects.exists()


# ---------------------------------------------------------------------------------------
# The campaign editor
# ---------------------------------------------------------------------------------------


def _campaign_form(segment, **overrides) -> dict:
    return {
        "name": "Spring news",
        "topic": "news",
        "channel": "email",
        "subject_template": "News for {{ partner.name }}",
        "body_template": "Hello {{ contact.first_name }}",
        "include_segments": [segment.pk],
        "schedule_kind": "now",
        "recurrence_timezone": "UTC",
        **overrides,
    }


BAD_CAMPAIGN_FIELDS = {
    "garbage date": {"schedule_kind": "at", "scheduled_at": "next tuesday-ish"},
    "year 99999": {"schedule_kind": "at", "scheduled_at": "99999-01-01T10:00"},
    "last minute of year 9999 west of UTC": {
        "schedule_kind": "at",
        "scheduled_at": "9999-12-31T23:59",
        "recurrence_timezone": "America/Los_Angeles",
    },
    "first minute of year 1 east of UTC": {
        "schedule_kind": "at",
        "scheduled_at": "0001-01-01T00:00",
        "recurrence_timezone": "Asia/Tokyo",
    },
    "schedule in the past": {"schedule_kind": "at", "scheduled_at": "2001-01-01T10:00"},
    "ends before it starts": {
        "schedule_kind": "recurring",
        "recurrence": "daily",
        "recurrence_time": "09:00",
        "ends_at": "2001-01-01T10:00",
    },
    "garbage time": {
        "schedule_kind": "recurring",
        "recurrence": "daily",
        "recurrence_time": "25:99",
    },
    "huge delay": {"schedule_kind": "triggered", "trigger_delay_minutes": "9" * 30},
    "negative delay": {"schedule_kind": "triggered", "trigger_delay_minutes": "-5"},
    "delay not a number": {"schedule_kind": "triggered", "trigger_delay_minutes": "1e309"},
    "day of month out of range": {
        "schedule_kind": "recurring",
        "recurrence": "monthly",
        "recurrence_time": "09:00",
        "recurrence_day": "99999999999999999999",
    },
    "weekday out of range": {
        "schedule_kind": "recurring",
        "recurrence": "weekly",
        "recurrence_time": "09:00",
        "recurrence_weekday": "12",
    },
    "unknown time zone": {"recurrence_timezone": "Mars/Olympus_Mons"},
    "trigger segment id beyond bigint": {
        "schedule_kind": "triggered",
        "trigger_segment": "9" * 30,
    },
    "include segment not an id": {"include_segments": ['{"id": 1}']},
    "interests as JSON": {"interests": '["cloud", {"x": 1}]'},
    "template syntax error": {"body_template": "{% if %}"},
}


@pytest.mark.parametrize("case", BAD_CAMPAIGN_FIELDS, ids=list(BAD_CAMPAIGN_FIELDS))
def test_campaign_form_refuses_bad_input_with_400(client, manager, case):
    # given
    client.force_login(manager)
    segment = StaticSegmentFactory()

    # when
    response = client.post(
        "/campaigns/new/", {**_campaign_form(segment, **BAD_CAMPAIGN_FIELDS[case]), "schedule": "1"}
    )

    # then
    _assert_clear_400(response)
    assert response.context["form"].errors
    assert not Campaign.objects.exists()


# ---------------------------------------------------------------------------------------
# The quiz editor of the learning path's step editor (question by question inputs)
# ---------------------------------------------------------------------------------------


def _quiz_inputs(*questions: tuple[str, list[str], str]) -> dict[str, str]:
    """The editor's inputs for (question, choices, the right choice's number) triples."""
    inputs = {}
    for q, (text, choices, answer) in enumerate(questions):
        inputs[f"step-quiz-{q}-text"] = text
        inputs[f"step-quiz-{q}-answer"] = answer
        for c, choice in enumerate(choices):
            inputs[f"step-quiz-{q}-choice-{c}"] = choice
    return inputs


BAD_QUIZZES = {
    "a question without text": _quiz_inputs(("  ", ["a", "b"], "0")),
    "one choice": _quiz_inputs(("Q", ["a"], "0")),
    "an empty choice": _quiz_inputs(("Q", ["a", " "], "0")),
    "no right choice marked": _quiz_inputs(("Q", ["a", "b"], "")),
    "the right choice is no choice": _quiz_inputs(("Q", ["a", "b"], "7")),
    "the right choice beyond bigint": _quiz_inputs(("Q", ["a", "b"], "9" * 30)),
    # int() refuses strings of more than 4,300 digits with an error (a 500 if not caught).
    "the right choice of 5,000 digits": _quiz_inputs(("Q", ["a", "b"], "9" * 5000)),
    # "²".isdigit() is true, yet int("²") is an error.
    "the right choice a superscript digit": _quiz_inputs(("Q", ["a", "b"], "²")),
    "the right choice negative": _quiz_inputs(("Q", ["a", "b"], "-1")),
    "a good question next to a bad one": _quiz_inputs(
        ("Q1", ["a", "b"], "1"), ("", ["a", "b"], "0")
    ),
    "a question numbered with 4,400 digits": {
        **_quiz_inputs(("Q", ["a"], "0")),
        "step-quiz-" + "9" * 4400 + "-text": "Q2",
    },
}


@pytest.mark.parametrize("case", BAD_QUIZZES, ids=list(BAD_QUIZZES))
def test_step_editor_refuses_a_bad_quiz_with_4xx(client, manager, case):
    # given
    client.force_login(manager)
    path = LearningPathFactory()
    content = ContentItemFactory()

    # when
    response = client.post(
        f"/enablement/paths/{path.pk}/steps/",
        # url-encoded, as htmx posts the editor (multipart caps a field's name at 1 KiB)
        urlencode({"step-content": content.pk, "step-pass_mark": "80", **BAD_QUIZZES[case]}),
        content_type="application/x-www-form-urlencoded",
        headers={"HX-Request": "true"},  # the editor posts with htmx; its fragment carries errors
    )

    # then
    assert 400 <= response.status_code < 500, response.content[:500]
    step_form = response.context["step_form"]
    assert "Nothing was saved" in str(step_form.non_field_errors())
    assert step_form.quiz_editor.error_count >= 1
    assert not LearningStep.objects.exists()


@pytest.mark.parametrize(
    "action", ["up-" + "9" * 5000, "remove-choice-0-" + "9" * 5000, "add-choice-²", "nonsense"]
)
def test_step_editor_ignores_an_editing_action_it_cannot_read(client, manager, action):
    # A no-JavaScript button posts quiz-action; a forged one re-renders the editor unchanged.
    client.force_login(manager)
    path = LearningPathFactory()
    content = ContentItemFactory()

    response = client.post(
        f"/enablement/paths/{path.pk}/steps/",
        {
            "step-content": content.pk,
            **_quiz_inputs(("Q", ["a", "b"], "0")),
            "step-quiz-action": action,
        },
        headers={"HX-Request": "true"},
    )

    assert response.status_code < 500
    assert [q.text for q in response.context["step_form"].quiz_editor.questions] == ["Q"]


# ---------------------------------------------------------------------------------------
# The partner portal's company profile
# ---------------------------------------------------------------------------------------

BAD_PROFILE_FIELDS = {
    "employees beyond bigint": {"employee_count": "9" * 30},
    "employees beyond integer": {"employee_count": str(2**31)},
    "employees negative": {"employee_count": "-1"},
    "employees not a number": {"employee_count": "1e309"},
    "unknown region": {"region": "atlantis"},
    "country too long": {"country": "X" * 500},
    "name too long": {"name": "N" * 5000},
    "website not a URL": {"website": "javascript:alert(1)"},
}


@pytest.mark.parametrize("case", BAD_PROFILE_FIELDS, ids=list(BAD_PROFILE_FIELDS))
def test_portal_company_edit_refuses_bad_input_with_400(client, case):
    # given
    partner = PartnerFactory(name="Acme", employee_count=10)
    user = UserFactory()
    ContactFactory(partner=partner, user=user, is_partner_admin=True)
    client.force_login(user)
    form = {
        "name": "Acme",
        "partner_type": partner.partner_type,
        "employee_count": "10",
        "region": partner.region,
        "country": partner.country,
        **BAD_PROFILE_FIELDS[case],
    }

    # when
    response = client.post("/portal/company/edit/", form)

    # then
    _assert_clear_400(response)
    assert response.context["form"].errors
    partner.refresh_from_db()
    assert (partner.name, partner.employee_count) == ("Acme", 10)


def test_campaign_api_refuses_a_time_past_the_calendar_with_400(manager_client):
    # The last minute of year 9999 ten hours west of UTC is in year 10000 in UTC.
    segment = StaticSegmentFactory()
    body = {
        "name": "Spring news",
        "topic": "news",
        "channel": "email",
        "subject_template": "News",
        "body_template": "Hello",
        "include_segments": [segment.slug],
        "schedule_kind": "at",
        "scheduled_at": "9999-12-31T23:59:00-10:00",
    }

    response = manager_client.post("/api/campaigns/", body, format="json")

    _assert_clear_400(response)
    assert list(response.json()) == ["scheduled_at"], response.json()
    assert not Campaign.objects.exists()
