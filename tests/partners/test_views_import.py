"""The import page: every row error shown with nothing written, or the counts."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from partners.imports import CONTACT_COLUMNS, PARTNER_COLUMNS
from partners.models import Contact, Industry, Partner
from tests.partners.factories import PartnerFactory

pytestmark = pytest.mark.django_db

HEADER = ",".join(PARTNER_COLUMNS)
GOOD_ROW = "IMP-1,Import One,msp,silver,emea,DE,10,1000,active,2024-01-01,3,healthcare,aws,,5000,2"


def _upload(text: str, name: str = "partners.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


@pytest.fixture
def staff_client(client, manager):
    client.force_login(manager)
    return client


def _post(client, text: str, kind: str = "partners", dry_run: bool = False, name="f.csv"):
    data = {"kind": kind, "file": _upload(text, name)}
    if dry_run:
        data["dry_run"] = "on"
    return client.post(reverse("partners:import"), data)


def test_import_page_offers_both_kinds_and_the_templates(staff_client):
    response = staff_client.get(reverse("partners:import"))
    assert response.status_code == 200
    assert response.context["nav"] == "partners"
    content = response.content.decode()
    assert reverse("partners:import-template", args=["partners"]) in content
    assert reverse("partners:import-template", args=["contacts"]) in content
    assert 'value="contacts"' in content


def test_import_with_row_errors_shows_every_error_and_writes_nothing(staff_client):
    text = "\n".join(
        [
            HEADER,
            GOOD_ROW,
            "IMP-2,,wizard,silver,emea,DE,,,active,,,newtag,,,,",
            "IMP-3,Import Three,var,diamond,emea,XX,,,active,2024-13-45,9,,,,,",
        ]
    )
    response = _post(staff_client, text)
    assert response.status_code == 400
    errors = response.context["errors"]
    found = {(error["row"], error["column"]) for error in errors}
    assert {(3, "name"), (3, "partner_type"), (4, "tier"), (4, "country")} <= found
    assert {(4, "joined_at"), (4, "tech_savviness")} <= found
    content = response.content.decode()
    assert "nothing was imported" in content
    assert content.count("<tr>") >= len(errors) + 1
    assert not Partner.objects.filter(external_id__startswith="IMP-").exists()
    assert not Industry.objects.filter(slug="newtag").exists()


def test_import_of_good_partners_shows_the_counts(staff_client):
    PartnerFactory(external_id="IMP-2")
    text = "\n".join([HEADER, GOOD_ROW, GOOD_ROW.replace("IMP-1", "IMP-2")])
    response = _post(staff_client, text)
    assert response.status_code == 200
    assert response.context["result"].created == 1
    assert response.context["result"].updated == 1
    assert "1</strong> partners created, <strong>1</strong> updated" in response.content.decode()
    assert Partner.objects.get(external_id="IMP-1").tier.slug == "silver"


def test_import_dry_run_reports_the_counts_and_writes_nothing(staff_client):
    response = _post(staff_client, "\n".join([HEADER, GOOD_ROW]), dry_run=True)
    assert response.status_code == 200
    assert response.context["result"].created == 1
    assert "nothing was written" in response.content.decode()
    assert not Partner.objects.filter(external_id="IMP-1").exists()
    assert not Industry.objects.filter(slug="healthcare").exists()


def test_import_of_contacts(staff_client):
    PartnerFactory(external_id="P-1")
    text = "\n".join([",".join(CONTACT_COLUMNS), "P-1,Ada,Lovelace,ADA@example.com,technical,yes"])
    response = _post(staff_client, text, kind="contacts")
    assert response.status_code == 200
    assert response.context["result"].created == 1
    assert Contact.objects.get(email="ada@example.com").partner.external_id == "P-1"


def test_import_of_contacts_for_an_unknown_partner_is_a_row_error(staff_client):
    text = "\n".join([",".join(CONTACT_COLUMNS), "NOPE,Ada,Lovelace,ada@example.com,sales,"])
    response = _post(staff_client, text, kind="contacts")
    assert response.status_code == 400
    assert response.context["errors"][0]["row"] == 2
    assert response.context["errors"][0]["column"] == "partner_external_id"
    assert not Contact.objects.exists()


def test_import_of_an_unsupported_file_is_a_file_error(staff_client):
    response = _post(staff_client, "hello", name="notes.txt")
    assert response.status_code == 400
    assert "Unsupported file type" in response.content.decode()


def test_import_of_a_wrong_header_is_an_error_not_a_500(staff_client):
    response = _post(staff_client, "a,b\n1,2")
    assert response.status_code == 400
    assert response.context["errors"]


def test_import_without_a_file_is_a_form_error(staff_client):
    response = staff_client.post(reverse("partners:import"), {"kind": "partners"})
    assert response.status_code == 400
    assert "file" in response.context["form"].errors


def test_import_template_is_a_csv_the_import_accepts(staff_client):
    for kind in ("partners", "contacts"):
        response = staff_client.get(reverse("partners:import-template", args=[kind]))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
    template = staff_client.get(reverse("partners:import-template", args=["partners"]))
    response = _post(staff_client, template.content.decode(), dry_run=True)
    assert response.status_code == 200
    assert response.context["result"].created == 2


def test_import_template_of_an_unknown_kind_is_a_404(staff_client):
    response = staff_client.get(reverse("partners:import-template", args=["segments"]))
    assert response.status_code == 404


def test_import_is_forbidden_to_a_partner_user(client, partner_user):
    client.force_login(partner_user)
    response = _post(client, "\n".join([HEADER, GOOD_ROW]))
    assert response.status_code == 403
    assert not Partner.objects.filter(external_id="IMP-1").exists()
