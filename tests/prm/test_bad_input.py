"""Bad input across the uploads and bodies of the API and the manager pages: a clear 4xx with
a message, never a 500, and nothing written."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from partners.models import Contact, Partner
from segments.models import Membership, Segment
from tests.partners.factories import PartnerFactory
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
