import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from partners import services
from partners.imports import (
    CONTACT_COLUMNS,
    PARTNER_COLUMNS,
    ImportResult,
    ImportValidationError,
    contacts_import,
    partners_import,
)
from partners.models import (
    Certification,
    Contact,
    Industry,
    Partner,
    PartnerCertification,
    Technology,
)
from tests.partners.factories import (
    CertificationFactory,
    ContactFactory,
    PartnerCertificationFactory,
    PartnerFactory,
    tier,
)

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent / "data"


def partner_row(**values: str) -> dict[str, str]:
    """A valid partners-file row; keyword arguments replace cells."""
    row = {
        "external_id": "P-0001",
        "name": "Acme Cloud",
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
    row.update(values)
    return row


def contact_row(**values: str) -> dict[str, str]:
    row = {
        "partner_external_id": "P-0001",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "role": "technical",
        "email_opt_in": "true",
    }
    row.update(values)
    return row


def csv_bytes(rows: list[dict], columns: list[str] | None = None) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns or list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def import_partners(rows: list[dict], **kwargs) -> ImportResult:
    return partners_import(file=io.BytesIO(csv_bytes(rows, **kwargs)), filename="partners.csv")


def import_contacts(rows: list[dict]) -> ImportResult:
    return contacts_import(file=io.BytesIO(csv_bytes(rows)), filename="contacts.csv")


def partner_errors(data: bytes, filename: str = "partners.csv") -> list[dict]:
    with pytest.raises(ImportValidationError) as raised:
        partners_import(file=io.BytesIO(data), filename=filename)
    return raised.value.errors


def contact_errors(rows: list[dict]) -> list[dict]:
    with pytest.raises(ImportValidationError) as raised:
        import_contacts(rows)
    return raised.value.errors


def slugs(manager) -> list[str]:
    return sorted(manager.values_list("slug", flat=True))


def write_counts() -> dict[str, int]:
    models = (Partner, Contact, Industry, Technology, Certification, PartnerCertification)
    counts = {model.__name__: model.objects.count() for model in models}
    counts["industry links"] = Partner.industries.through.objects.count()
    counts["technology links"] = Partner.technologies.through.objects.count()
    return counts


class TestSampleFiles:
    def test_importing_the_sample_partners_then_contacts_creates_every_row(self):
        # given
        partners_file = DATA / "partners-sample.csv"
        contacts_file = DATA / "contacts-sample.csv"
        partner_rows = len(partners_file.read_text().splitlines()) - 1
        contact_rows = len(contacts_file.read_text().splitlines()) - 1
        # when
        with partners_file.open("rb") as handle:
            partners = partners_import(file=handle, filename=partners_file.name)
        with contacts_file.open("rb") as handle:
            contacts = contacts_import(file=handle, filename=contacts_file.name)
        # then
        assert partners == ImportResult(created=partner_rows, updated=0)
        assert contacts == ImportResult(created=contact_rows, updated=0)
        assert Partner.objects.count() == partner_rows
        assert Contact.objects.count() == contact_rows
        first = Partner.objects.get(external_id="SP-0000000")
        assert first.name == "Apex Solutions 0"
        assert first.tier.slug == "silver"
        assert first.country.code == "CA"
        assert first.annual_revenue == Decimal("235979785.70")
        assert slugs(first.industries) == ["education", "finance", "healthcare"]

    def test_importing_the_sample_partners_twice_updates_every_row(self):
        # given
        sample = DATA / "partners-sample.csv"
        with sample.open("rb") as handle:
            first = partners_import(file=handle, filename=sample.name)
        # when
        with sample.open("rb") as handle:
            second = partners_import(file=handle, filename=sample.name)
        # then
        assert second == ImportResult(created=0, updated=first.created)


class TestPartnerValues:
    def test_every_column_is_parsed_into_the_partner(self):
        # when
        result = import_partners([partner_row(country="de")])
        # then
        assert result == ImportResult(created=1, updated=0)
        partner = Partner.objects.get(external_id="P-0001")
        assert partner.name == "Acme Cloud"
        assert partner.partner_type == "var"
        assert partner.tier == tier("gold")
        assert partner.region == "emea"
        assert partner.country.code == "DE"
        assert partner.employee_count == 120
        assert partner.annual_revenue == Decimal("2500000.50")
        assert partner.lifecycle_stage == "active"
        assert partner.joined_at == dt.date(2022, 3, 1)
        assert partner.tech_savviness == 3
        assert partner.revenue_12m == Decimal("400000.00")
        assert partner.deals_won_12m == 12
        assert slugs(partner.industries) == ["finance", "retail"]
        assert slugs(partner.technologies) == ["aws"]
        assert [award.certification.slug for award in partner.certifications.all()] == [
            "cloud-architect"
        ]

    def test_empty_cells_are_stored_as_null_without_defaults(self):
        # given
        empty = dict.fromkeys(
            [
                "tier",
                "region",
                "country",
                "employee_count",
                "annual_revenue",
                "joined_at",
                "tech_savviness",
                "industries",
                "technologies",
                "certifications",
                "revenue_12m",
                "deals_won_12m",
            ],
            "",
        )
        # when
        import_partners([partner_row(**empty)])
        # then
        partner = Partner.objects.get(external_id="P-0001")
        for field in (
            "tier",
            "region",
            "employee_count",
            "annual_revenue",
            "joined_at",
            "tech_savviness",
            "revenue_12m",
            "deals_won_12m",
        ):
            assert getattr(partner, field) is None, field
        assert partner.country.code is None
        assert not partner.industries.exists()
        assert not partner.technologies.exists()
        assert not partner.certifications.exists()

    def test_choices_and_tier_are_matched_case_insensitively(self):
        # when
        import_partners(
            [partner_row(partner_type="MSP", tier="Platinum", lifecycle_stage="Dormant")]
        )
        # then
        partner = Partner.objects.get()
        assert (partner.partner_type, partner.tier.slug, partner.lifecycle_stage) == (
            "msp",
            "platinum",
            "dormant",
        )

    def test_tags_are_trimmed_lower_cased_and_deduplicated(self):
        # when
        import_partners([partner_row(industries=" Finance ; RETAIL;finance;;", technologies=";")])
        # then
        partner = Partner.objects.get()
        assert slugs(partner.industries) == ["finance", "retail"]
        assert not partner.technologies.exists()

    def test_unknown_tag_and_certification_slugs_are_created(self):
        # when
        import_partners(
            [partner_row(industries="space-mining", technologies="quantum", certifications="x-pro")]
        )
        # then
        assert Industry.objects.get(slug="space-mining").name == "Space Mining"
        assert Technology.objects.filter(slug="quantum").exists()
        assert Certification.objects.filter(slug="x-pro").exists()

    def test_whole_numbers_written_with_a_zero_fraction_are_accepted(self):
        # when
        import_partners([partner_row(employee_count="1874.0", tech_savviness="4.0")])
        # then
        assert Partner.objects.values_list("employee_count", "tech_savviness").get() == (1874, 4)

    def test_the_apostrophe_that_escapes_a_formula_is_removed(self):
        # when
        import_partners([partner_row(name="'=1+2", external_id="'-7")])
        # then
        assert Partner.objects.values_list("name", "external_id").get() == ("=1+2", "-7")

    def test_a_utf8_bom_is_accepted(self):
        # given
        data = "\ufeff".encode() + csv_bytes([partner_row(name="Müller GmbH")])
        # when
        partners_import(file=io.BytesIO(data), filename="partners.csv")
        # then
        assert Partner.objects.get().name == "Müller GmbH"

    def test_a_header_only_file_imports_nothing(self):
        # when
        result = partners_import(
            file=io.BytesIO((",".join(PARTNER_COLUMNS) + "\n").encode()), filename="p.csv"
        )
        # then
        assert result == ImportResult(created=0, updated=0)

    def test_attribute_columns_set_their_keys_and_an_empty_cell_removes_one(self):
        # given
        PartnerFactory(external_id="P-0001", attributes={"color": "red", "kept": "yes"})
        rows = [
            partner_row(**{"attributes.color": "", "attributes.size": "L"}),
            partner_row(
                external_id="P-0002", **{"attributes.color": "blue", "attributes.size": ""}
            ),
        ]
        # when
        import_partners(rows)
        # then
        assert Partner.objects.get(external_id="P-0001").attributes == {"kept": "yes", "size": "L"}
        assert Partner.objects.get(external_id="P-0002").attributes == {"color": "blue"}

    def test_a_file_without_attribute_columns_keeps_the_attributes(self):
        # given
        PartnerFactory(external_id="P-0001", attributes={"color": "red"})
        # when
        import_partners([partner_row()])
        # then
        assert Partner.objects.get().attributes == {"color": "red"}

    def test_the_changed_partners_are_announced_once(self, monkeypatch):
        # given
        calls = []
        monkeypatch.setattr(
            services, "partners_mark_changed", lambda **kwargs: calls.append(kwargs)
        )
        # when
        import_partners([partner_row(), partner_row(external_id="P-0002")])
        # then
        assert len(calls) == 1
        assert sorted(calls[0]["partner_ids"]) == sorted(
            Partner.objects.values_list("id", flat=True)
        )
        assert calls[0]["reason"] == "import"

    def test_an_xlsx_file_with_numbers_and_dates_is_imported(self):
        # given
        values = partner_row()
        values.update(
            employee_count=1874,
            annual_revenue=235979785.7,
            tech_savviness=5.0,
            joined_at=dt.datetime(2021, 6, 5),
            deals_won_12m=None,
        )
        data = xlsx_bytes([list(PARTNER_COLUMNS), [values[name] for name in PARTNER_COLUMNS]])
        # when
        result = partners_import(file=io.BytesIO(data), filename="partners.XLSX")
        # then
        assert result.created == 1
        partner = Partner.objects.get()
        assert partner.employee_count == 1874
        assert partner.annual_revenue == Decimal("235979785.70")
        assert partner.tech_savviness == 5
        assert partner.joined_at == dt.date(2021, 6, 5)
        assert partner.deals_won_12m is None


class TestPartnerUpsert:
    def test_a_second_import_updates_matching_rows_and_creates_the_others(self):
        # given
        import_partners([partner_row(), partner_row(external_id="P-0002")])
        # when
        result = import_partners(
            [
                partner_row(name="Acme Renamed", tier="", employee_count="7"),
                partner_row(external_id="P-0003"),
            ]
        )
        # then
        assert result == ImportResult(created=1, updated=1)
        assert Partner.objects.count() == 3
        partner = Partner.objects.get(external_id="P-0001")
        assert (partner.name, partner.tier, partner.employee_count) == ("Acme Renamed", None, 7)

    def test_an_update_replaces_the_tags_and_an_empty_cell_clears_them(self):
        # given
        import_partners(
            [partner_row(industries="finance;retail", certifications="cloud-architect")]
        )
        # when
        import_partners([partner_row(industries="energy", technologies="", certifications="")])
        # then
        partner = Partner.objects.get()
        assert slugs(partner.industries) == ["energy"]
        assert not partner.technologies.exists()
        assert not partner.certifications.exists()

    def test_an_update_keeps_created_at_and_moves_updated_at(self):
        # given
        partner = PartnerFactory(external_id="P-0001")
        # when
        import_partners([partner_row()])
        # then
        updated = Partner.objects.get()
        assert updated.created_at == partner.created_at
        assert updated.updated_at > partner.updated_at

    def test_an_update_keeps_the_dates_of_a_certification_the_partner_still_has(self):
        # given
        partner = PartnerFactory(external_id="P-0001")
        award = PartnerCertificationFactory(
            partner=partner, certification=CertificationFactory(slug="cloud-architect")
        )
        # when
        import_partners([partner_row(certifications="cloud-architect")])
        # then
        assert PartnerCertification.objects.get().earned_at == award.earned_at

    def test_revenue_and_deals_given_by_the_file_are_stored_as_given(self):
        # given
        PartnerFactory(external_id="P-0001", revenue_12m=Decimal("1.00"), deals_won_12m=1)
        # when
        import_partners([partner_row(revenue_12m="987654.32", deals_won_12m="44")])
        # then
        assert Partner.objects.values_list("revenue_12m", "deals_won_12m").get() == (
            Decimal("987654.32"),
            44,
        )


class TestPartnerRowErrors:
    @pytest.mark.parametrize(
        ("column", "value", "message"),
        [
            ("tier", "diamond", "'diamond' is not one of: registered, silver, gold, platinum."),
            (
                "partner_type",
                "vendor",
                "'vendor' is not one of: reseller, var, msp, referral, alliance, distributor, "
                "isv, si.",
            ),
            ("region", "europe", "'europe' is not one of: na, latam, emea, apac."),
            (
                "lifecycle_stage",
                "retired",
                "'retired' is not one of: applicant, onboarding, active, dormant, churned.",
            ),
            ("employee_count", "12a", "'12a' is not a whole number."),
            ("employee_count", "-5", "'-5' must not be negative."),
            ("deals_won_12m", "1.5", "'1.5' is not a whole number."),
            ("deals_won_12m", "3000000000", "'3000000000' is larger than 2147483647."),
            ("annual_revenue", "1,000", "'1,000' is not a number."),
            ("annual_revenue", "-0.01", "'-0.01' must not be negative."),
            ("revenue_12m", "10.125", "'10.125' has more than 2 decimal places."),
            (
                "revenue_12m",
                "123456789012345",
                "'123456789012345' has more than 14 digits before the decimal point.",
            ),
            ("joined_at", "2023-02-30", "'2023-02-30' is not a date (expected YYYY-MM-DD)."),
            ("joined_at", "01/02/2023", "'01/02/2023' is not a date (expected YYYY-MM-DD)."),
            ("country", "XX", "'XX' is not an ISO 3166 alpha-2 country code."),
            ("country", "DEU", "'DEU' is not an ISO 3166 alpha-2 country code."),
            ("tech_savviness", "6", "'6' must be between 1 and 5."),
            ("tech_savviness", "0", "'0' must be between 1 and 5."),
            ("external_id", "", "A value is required."),
            ("name", "", "A value is required."),
            ("partner_type", "", "A value is required."),
            ("lifecycle_stage", "", "A value is required."),
            ("name", "x" * 256, "is longer than 255 characters."),
            (
                "industries",
                "finance;health care;x!",
                "Not a valid tag: 'health care', 'x!' (lower-case letters, digits, hyphens, "
                "underscores; at most 64).",
            ),
            ("certifications", "a" * 65, "Not a valid tag: 'aaaa"),
        ],
    )
    def test_a_bad_value_is_reported_with_its_row_and_column(self, column, value, message):
        # given
        data = csv_bytes([partner_row(), partner_row(**{"external_id": "P-0002", column: value})])
        # when
        errors = partner_errors(data)
        # then
        assert len(errors) == 1
        assert errors[0]["row"] == 3
        assert errors[0]["column"] == column
        assert message in errors[0]["message"]

    def test_a_duplicate_external_id_is_reported_on_the_later_row(self):
        # given
        data = csv_bytes([partner_row(), partner_row(external_id="P-0002"), partner_row()])
        # when
        errors = partner_errors(data)
        # then
        assert errors == [
            {
                "row": 4,
                "column": "external_id",
                "message": "Duplicate external_id 'P-0001' (first on row 2).",
            }
        ]

    def test_every_error_is_reported_sorted_by_row_then_column(self):
        # given
        data = csv_bytes(
            [
                partner_row(),
                partner_row(external_id="P-0002", deals_won_12m="x", tier="x", name=""),
                partner_row(external_id="P-0003", region="x"),
            ]
        )
        # when
        errors = partner_errors(data)
        # then
        assert [(error["row"], error["column"]) for error in errors] == [
            (3, "name"),
            (3, "tier"),
            (3, "deals_won_12m"),
            (4, "region"),
        ]

    def test_row_numbers_count_blank_lines_as_spreadsheet_rows(self):
        # given
        rows = (
            csv_bytes([partner_row()]) + b"\n" + csv_bytes([partner_row(name="")]).split(b"\n")[1]
        )
        # when
        errors = partner_errors(rows)
        # then
        assert [(error["row"], error["column"]) for error in errors] == [
            (4, "external_id"),
            (4, "name"),
        ]


class TestPartnerFileErrors:
    def test_a_missing_column_is_reported_with_its_name(self):
        # given
        columns = [name for name in PARTNER_COLUMNS if name != "tier"]
        row = partner_row()
        del row["tier"]
        # when
        errors = partner_errors(csv_bytes([row], columns))
        # then
        assert errors == [
            {"row": None, "column": "tier", "message": "This required column is missing."}
        ]

    def test_an_unknown_column_is_reported_with_its_name(self):
        # when
        errors = partner_errors(csv_bytes([partner_row(colour="red")]))
        # then
        assert len(errors) == 1
        assert errors[0]["row"] is None
        assert errors[0]["column"] == "colour"
        assert errors[0]["message"].startswith("Unknown column; the columns are: external_id,")

    def test_a_column_named_twice_is_reported(self):
        # given
        data = (",".join([*PARTNER_COLUMNS, "name"]) + "\n").encode()
        # when
        errors = partner_errors(data)
        # then
        assert errors == [
            {
                "row": None,
                "column": "name",
                "message": "The column appears more than once in the header.",
            }
        ]

    @pytest.mark.parametrize("filename", ["partners.txt", "partners.xls", "partners"])
    def test_an_unsupported_file_type_is_refused(self, filename):
        # when
        errors = partner_errors(csv_bytes([partner_row()]), filename=filename)
        # then
        assert len(errors) == 1
        assert errors[0]["row"] is None
        assert "upload a .csv or .xlsx" in errors[0]["message"]

    def test_a_malformed_xlsx_is_refused(self):
        # when
        errors = partner_errors(b"PK\x03\x04 this is no workbook", filename="partners.xlsx")
        # then
        assert errors == [
            {"row": None, "column": None, "message": "The file is not a readable .xlsx workbook."}
        ]

    def test_an_xlsx_that_unpacks_to_far_more_than_the_size_limit_is_refused(self, settings):
        # given
        settings.PRM_IMPORT_MAX_BYTES = 50_000
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("xl/worksheets/sheet1.xml", b"<row/>" * 500_000)
        # when
        errors = partner_errors(buffer.getvalue(), filename="partners.xlsx")
        # then
        assert errors == [
            {
                "row": None,
                "column": None,
                "message": "The workbook unpacks to more data than an import may hold.",
            }
        ]

    def test_a_column_with_values_but_no_header_is_refused(self):
        # given
        data = csv_bytes([partner_row(**{"": "stray"})])
        # when
        errors = partner_errors(data)
        # then
        assert errors == [
            {"row": None, "column": None, "message": "Column 17 has values but no header."}
        ]

    def test_an_empty_column_without_a_header_is_ignored(self):
        # when
        result = import_partners([partner_row(**{"": ""})])
        # then
        assert result.created == 1

    def test_a_csv_file_that_is_not_utf8_is_refused(self):
        # given
        data = csv_bytes([partner_row(name="Müller")]).decode().encode("latin-1")
        # when
        errors = partner_errors(data)
        # then
        assert errors[0]["message"] == "The file is not UTF-8 encoded text."

    def test_a_csv_row_with_more_cells_than_the_header_is_refused(self):
        # given
        data = csv_bytes([partner_row()]) + b"a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r\n"
        # when
        errors = partner_errors(data)
        # then
        assert errors[0]["row"] is None
        assert errors[0]["message"].startswith("The CSV file could not be read")

    def test_an_empty_file_is_refused(self):
        # when
        errors = partner_errors(b"")
        # then
        assert errors == [{"row": None, "column": None, "message": "The file is empty."}]

    def test_a_file_over_the_size_limit_is_refused(self, settings):
        # given
        settings.PRM_IMPORT_MAX_BYTES = 100
        # when
        errors = partner_errors(csv_bytes([partner_row()]))
        # then
        assert errors == [
            {
                "row": None,
                "column": None,
                "message": "The file is larger than the limit of 100 bytes.",
            }
        ]


class TestNothingWrittenOnError:
    def test_a_file_with_one_bad_row_writes_nothing_at_all(self):
        # given
        PartnerFactory(
            external_id="P-0001", name="Before", industries=["finance"], technologies=["aws"]
        )
        before = write_counts()
        rows = [
            partner_row(name="After", industries="brand-new", technologies="new-tech"),
            partner_row(external_id="P-0002", certifications="new-cert"),
            partner_row(external_id="P-0003", tier="diamond"),
        ]
        # when
        with pytest.raises(ImportValidationError):
            import_partners(rows)
        # then
        assert write_counts() == before
        partner = Partner.objects.get(external_id="P-0001")
        assert partner.name == "Before"
        assert slugs(partner.industries) == ["finance"]

    def test_a_bad_contacts_file_writes_no_contact(self):
        # given
        PartnerFactory(external_id="P-0001")
        ContactFactory(email="ada@example.com", first_name="Before")
        before = write_counts()
        rows = [
            contact_row(first_name="After"),
            contact_row(email="new@example.com"),
            contact_row(email="bad@", first_name="Bad"),
        ]
        # when
        with pytest.raises(ImportValidationError):
            import_contacts(rows)
        # then
        assert write_counts() == before
        assert Contact.objects.get(email="ada@example.com").first_name == "Before"


class TestContactsImport:
    def test_contacts_are_created_for_their_partners_with_lower_cased_emails(self):
        # given
        partner = PartnerFactory(external_id="P-0001")
        # when
        result = import_contacts(
            [contact_row(email=" Ada@Example.COM "), contact_row(email="bob@example.com")]
        )
        # then
        assert result == ImportResult(created=2, updated=0)
        contact = Contact.objects.get(email="ada@example.com")
        assert contact.partner == partner
        assert (contact.first_name, contact.last_name, contact.role) == (
            "Ada",
            "Lovelace",
            "technical",
        )

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("true", True),
            ("TRUE", True),
            ("1", True),
            ("Yes", True),
            ("false", False),
            ("0", False),
            ("no", False),
            ("", False),
        ],
    )
    def test_email_opt_in_is_read_and_an_empty_cell_means_no_consent(self, value, expected):
        # given
        PartnerFactory(external_id="P-0001")
        # when
        import_contacts([contact_row(email_opt_in=value)])
        # then
        assert Contact.objects.get().email_opt_in is expected

    def test_a_contact_is_matched_on_its_email_and_updated(self):
        # given
        PartnerFactory(external_id="P-0001")
        other = PartnerFactory(external_id="P-0002")
        contact = ContactFactory(email="ada@example.com", first_name="Old", email_opt_in=True)
        # when
        result = import_contacts(
            [
                contact_row(
                    partner_external_id="P-0002", email="ADA@example.com", email_opt_in="no"
                ),
                contact_row(email="new@example.com", last_name=""),
            ]
        )
        # then
        assert result == ImportResult(created=1, updated=1)
        contact.refresh_from_db()
        assert (contact.partner, contact.first_name, contact.email_opt_in) == (other, "Ada", False)
        assert Contact.objects.get(email="new@example.com").last_name == ""

    @pytest.mark.parametrize(
        ("column", "value", "message"),
        [
            ("partner_external_id", "P-9999", "No partner has the external_id 'P-9999'."),
            ("partner_external_id", "", "A value is required."),
            ("first_name", "", "A value is required."),
            ("email", "", "A value is required."),
            ("email", "ada@", "'ada@' is not a valid e-mail address."),
            ("email", "ada at example.com", "'ada at example.com' is not a valid e-mail address."),
            ("role", "ceo", "'ceo' is not one of: sales, technical, marketing, executive."),
            ("role", "", "A value is required."),
            ("email_opt_in", "maybe", "'maybe' is not one of true/1/yes/false/0/no."),
        ],
    )
    def test_a_bad_value_is_reported_with_its_row_and_column(self, column, value, message):
        # given
        PartnerFactory(external_id="P-0001")
        rows = [contact_row(), contact_row(**{"email": "bob@example.com", column: value})]
        # when
        errors = contact_errors(rows)
        # then
        assert errors == [{"row": 3, "column": column, "message": message}]

    def test_a_duplicate_email_in_the_file_is_reported_on_the_later_row(self):
        # given
        PartnerFactory(external_id="P-0001")
        # when
        errors = contact_errors([contact_row(), contact_row(email="ADA@example.com")])
        # then
        assert errors == [
            {
                "row": 3,
                "column": "email",
                "message": "Duplicate email 'ada@example.com' (first on row 2).",
            }
        ]

    def test_a_missing_contact_column_is_reported(self):
        # given
        row = contact_row()
        del row["role"]
        # when
        with pytest.raises(ImportValidationError) as raised:
            contacts_import(file=io.BytesIO(csv_bytes([row])), filename="contacts.csv")
        # then
        assert raised.value.errors == [
            {"row": None, "column": "role", "message": "This required column is missing."}
        ]

    def test_an_xlsx_contacts_file_is_imported(self):
        # given
        PartnerFactory(external_id="P-0001")
        data = xlsx_bytes(
            [list(CONTACT_COLUMNS), ["P-0001", "Ada", None, "ada@example.com", "sales", True]]
        )
        # when
        result = contacts_import(file=io.BytesIO(data), filename="contacts.xlsx")
        # then
        assert result.created == 1
        assert Contact.objects.get().email_opt_in is True


def upload(data: bytes, name: str = "partners.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


class TestImportApi:
    def test_posting_a_good_partners_file_answers_201_with_the_counts(self, manager_client):
        # given
        PartnerFactory(external_id="P-0002")
        data = csv_bytes([partner_row(), partner_row(external_id="P-0002")])
        # when
        response = manager_client.post(
            "/api/partners/import/", {"file": upload(data)}, format="multipart"
        )
        # then
        assert response.status_code == 201, response.content
        assert response.json() == {"created": 1, "updated": 1}
        assert Partner.objects.count() == 2

    def test_posting_a_bad_partners_file_answers_400_with_every_error_and_writes_nothing(
        self, manager_client
    ):
        # given
        data = csv_bytes([partner_row(), partner_row(external_id="P-0002", country="ZZ")])
        # when
        response = manager_client.post(
            "/api/partners/import/", {"file": upload(data)}, format="multipart"
        )
        # then
        assert response.status_code == 400
        assert response.json() == {
            "errors": [
                {
                    "row": 3,
                    "column": "country",
                    "message": "'ZZ' is not an ISO 3166 alpha-2 country code.",
                }
            ]
        }
        assert not Partner.objects.exists()

    def test_posting_without_a_file_answers_400(self, manager_client):
        response = manager_client.post("/api/partners/import/", {}, format="multipart")
        assert response.status_code == 400

    @pytest.mark.parametrize("url", ["/api/partners/import/", "/api/contacts/import/"])
    def test_a_malformed_upload_answers_400_in_the_documented_shape(self, manager_client, url):
        # A multipart body without its boundary cannot be parsed at all.
        response = manager_client.generic(
            "POST", url, b"\xf5R\x8dN", content_type="multipart/form-data"
        )
        assert response.status_code == 400
        [error] = response.json()["errors"]
        assert (error["row"], error["column"]) == (None, None)
        assert "Multipart form parse error" in error["message"]

    @pytest.mark.parametrize("url", ["/api/partners/import/", "/api/contacts/import/"])
    def test_an_anonymous_import_is_refused_with_401(self, api_client, url):
        # given
        PartnerFactory(external_id="P-0001")
        data = csv_bytes([contact_row()] if "contacts" in url else [partner_row()])
        # when
        response = api_client.post(url, {"file": upload(data)}, format="multipart")
        # then
        assert response.status_code == 401
        assert Partner.objects.count() == 1
        assert not Contact.objects.exists()

    def test_a_partner_user_may_not_import(self, partner_client):
        # when
        response = partner_client.post(
            "/api/partners/import/",
            {"file": upload(csv_bytes([partner_row(external_id="P-NEW")]))},
            format="multipart",
        )
        # then
        assert response.status_code == 403
        assert not Partner.objects.filter(external_id="P-NEW").exists()

    def test_posting_a_contacts_file_answers_201_with_the_counts(self, manager_client):
        # given
        PartnerFactory(external_id="P-0001")
        # when
        response = manager_client.post(
            "/api/contacts/import/",
            {"file": upload(csv_bytes([contact_row()]), "contacts.csv")},
            format="multipart",
        )
        # then
        assert response.status_code == 201, response.content
        assert response.json() == {"created": 1, "updated": 0}

    def test_posting_a_bad_contacts_file_answers_400_and_writes_nothing(self, manager_client):
        # when
        response = manager_client.post(
            "/api/contacts/import/",
            {"file": upload(csv_bytes([contact_row()]), "contacts.csv")},
            format="multipart",
        )
        # then
        assert response.status_code == 400
        assert response.json()["errors"][0]["column"] == "partner_external_id"
        assert not Contact.objects.exists()
