import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.http import StreamingHttpResponse
from django.utils import timezone

from partners import selectors
from partners.exports import escape_formula, partners_export_write
from partners.imports import PARTNER_COLUMNS, partners_import
from partners.models import Partner, Region
from tests.partners.factories import (
    CertificationFactory,
    PartnerCertificationFactory,
    PartnerFactory,
    tier,
)

pytestmark = pytest.mark.django_db

EXPORT_URL = "/api/partners/export/"


def csv_rows(response) -> list[dict]:
    assert response.status_code == 200, response.content
    content = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(content)))


def xlsx_rows(content: bytes) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def profile(partner: Partner) -> dict:
    """What an export carries of a partner, comparable across an export and re-import."""
    partner = selectors.partner_get(partner_id=partner.id)
    return {
        "name": partner.name,
        "partner_type": partner.partner_type,
        "tier": partner.tier_id,
        "region": partner.region,
        "country": partner.country.code,
        "employee_count": partner.employee_count,
        "annual_revenue": partner.annual_revenue,
        "lifecycle_stage": partner.lifecycle_stage,
        "joined_at": partner.joined_at,
        "tech_savviness": partner.tech_savviness,
        "industries": sorted(tag.slug for tag in partner.industries.all()),
        "technologies": sorted(tag.slug for tag in partner.technologies.all()),
        "certifications": sorted(a.certification.slug for a in partner.active_certifications),
        "revenue_12m": partner.revenue_12m,
        "deals_won_12m": partner.deals_won_12m,
        "attributes": partner.attributes,
    }


class TestCsvExport:
    def test_the_csv_is_streamed_as_a_dated_download_in_the_import_columns(self, manager_client):
        # given
        partner = PartnerFactory(
            external_id="P-1",
            tier=tier("gold"),
            annual_revenue=Decimal("2500000.50"),
            industries=["retail", "finance"],
            technologies=["aws"],
        )
        PartnerCertificationFactory(
            partner=partner, certification=CertificationFactory(slug="cloud-architect")
        )
        PartnerCertificationFactory(
            partner=partner,
            certification=CertificationFactory(slug="expired-cert"),
            expires_at=timezone.localdate() - dt.timedelta(days=1),
        )
        # when
        response = manager_client.get(EXPORT_URL, {"file_format": "csv"})
        # then
        assert isinstance(response, StreamingHttpResponse)
        assert response["Content-Type"].startswith("text/csv")
        today = timezone.localdate().strftime("%Y%m%d")
        assert response["Content-Disposition"] == f'attachment; filename="partners-{today}.csv"'
        [row] = csv_rows(response)
        assert list(row) == list(PARTNER_COLUMNS)
        assert row == {
            "external_id": "P-1",
            "name": partner.name,
            "partner_type": "var",
            "tier": "gold",
            "region": "emea",
            "country": "DE",
            "employee_count": "120",
            "annual_revenue": "2500000.50",
            "lifecycle_stage": "active",
            "joined_at": "2022-03-01",
            "tech_savviness": "3",
            "industries": "finance;retail",
            "technologies": "aws",
            "certifications": "cloud-architect",
            "revenue_12m": "400000.00",
            "deals_won_12m": "12",
        }

    def test_csv_is_the_default_format(self, manager_client):
        PartnerFactory()
        response = manager_client.get(EXPORT_URL)
        assert len(csv_rows(response)) == 1

    def test_null_values_are_exported_as_empty_cells(self, manager_client):
        # given
        PartnerFactory(region=None, country=None, employee_count=None, joined_at=None)
        # when
        [row] = csv_rows(manager_client.get(EXPORT_URL))
        # then
        assert (row["tier"], row["region"], row["country"], row["employee_count"]) == ("",) * 4
        assert row["joined_at"] == ""

    def test_the_export_respects_the_list_filters(self, manager_client):
        # given
        PartnerFactory(external_id="E-1", region=Region.EMEA)
        PartnerFactory(external_id="N-1", region=Region.NA)
        # when
        rows = csv_rows(manager_client.get(EXPORT_URL, {"file_format": "csv", "region": "emea"}))
        # then
        assert [row["external_id"] for row in rows] == ["E-1"]

    def test_custom_attributes_are_exported_as_attribute_columns(self, manager_client):
        # given
        PartnerFactory(external_id="P-1", attributes={"color": "red", "seats": 5})
        PartnerFactory(external_id="P-2")
        # when
        rows = csv_rows(manager_client.get(EXPORT_URL, {"ordering": "external_id"}))
        # then
        assert [(row["attributes.color"], row["attributes.seats"]) for row in rows] == [
            ("red", "5"),
            ("", ""),
        ]

    def test_text_that_a_spreadsheet_would_run_as_a_formula_is_escaped(self, manager_client):
        # given
        PartnerFactory(
            name='=HYPERLINK("http://evil.example","click")',
            external_id="@SUM(1)",
            attributes={"note": "+cmd"},
        )
        # when
        [row] = csv_rows(manager_client.get(EXPORT_URL))
        # then
        assert row["name"] == '\'=HYPERLINK("http://evil.example","click")'
        assert row["external_id"] == "'@SUM(1)"
        assert row["attributes.note"] == "'+cmd"
        assert row["employee_count"] == "120"

    def test_the_number_of_queries_does_not_grow_with_the_partners(
        self, manager_client, django_assert_max_num_queries
    ):
        # given
        for number in range(30):
            partner = PartnerFactory(industries=["finance"], technologies=[f"t-{number}"])
            PartnerCertificationFactory(partner=partner)
        # when
        with django_assert_max_num_queries(12):
            rows = csv_rows(manager_client.get(EXPORT_URL))
        # then
        assert len(rows) == 30

    def test_an_unknown_format_answers_400(self, manager_client):
        response = manager_client.get(EXPORT_URL, {"file_format": "pdf"})
        assert response.status_code == 400

    def test_an_anonymous_export_is_refused_with_401(self, api_client):
        assert api_client.get(EXPORT_URL).status_code == 401


class TestXlsxExport:
    def test_the_xlsx_has_the_import_columns_numbers_as_numbers_and_escaped_text(
        self, manager_client
    ):
        # given
        PartnerFactory(external_id="P-1", name="-2+3", annual_revenue=Decimal("10.50"))
        # when
        response = manager_client.get(EXPORT_URL, {"file_format": "xlsx"})
        # then
        assert response.status_code == 200
        today = timezone.localdate().strftime("%Y%m%d")
        assert response["Content-Disposition"] == f'attachment; filename="partners-{today}.xlsx"'
        header, row = xlsx_rows(response.content)
        assert header == list(PARTNER_COLUMNS)
        values = dict(zip(header, row, strict=True))
        assert values["name"] == "'-2+3"
        assert values["employee_count"] == 120
        assert values["annual_revenue"] == pytest.approx(10.5)
        assert values["joined_at"] == dt.datetime(2022, 3, 1)
        assert values["tier"] is None


class TestEscapeFormula:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("=1+1", "'=1+1"),
            ("+1", "'+1"),
            ("-1", "'-1"),
            ("@A1", "'@A1"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("plain", "plain"),
            ("a=b", "a=b"),
            ("", ""),
            (-5, -5),
            (Decimal("-1.5"), Decimal("-1.5")),
            (None, None),
        ],
    )
    def test_only_text_starting_with_a_formula_character_is_escaped(self, value, expected):
        assert escape_formula(value) == expected


class TestRoundTrip:
    @pytest.mark.parametrize("file_format", ["csv", "xlsx"])
    def test_an_export_re_imports_to_the_same_profiles(self, file_format):
        # given
        partners = [
            PartnerFactory(
                external_id="P-1",
                name="=Formula Inc",
                tier=tier("platinum"),
                industries=["finance"],
                technologies=["aws", "gcp"],
                attributes={"segment": "smb"},
            ),
            PartnerFactory(
                external_id="P-2",
                region=None,
                country=None,
                employee_count=None,
                annual_revenue=Decimal("0.10"),
                joined_at=None,
                tech_savviness=None,
                revenue_12m=None,
                deals_won_12m=None,
            ),
        ]
        PartnerCertificationFactory(
            partner=partners[0], certification=CertificationFactory(slug="cloud-architect")
        )
        before = [profile(partner) for partner in partners]
        text = file_format == "csv"
        stream = io.StringIO() if text else io.BytesIO()
        partners_export_write(
            queryset=selectors.partner_list(), file_format=file_format, stream=stream
        )
        data = stream.getvalue().encode() if text else stream.getvalue()
        Partner.objects.all().delete()
        # when
        result = partners_import(file=io.BytesIO(data), filename=f"export.{file_format}")
        # then
        assert (result.created, result.updated) == (2, 0)
        after = [profile(Partner.objects.get(external_id=p.external_id)) for p in partners]
        assert after == before
