import csv
import io
import json

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from partners.imports import PARTNER_COLUMNS
from partners.management.commands.bench_import import PREFIX
from partners.models import Contact, Industry, Partner, Region
from tests.partners.factories import PartnerFactory
from tests.partners.test_imports import DATA, contact_row, csv_bytes, partner_row

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command(*args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def run_failing(*args) -> tuple[str, str]:
    stderr = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command(*args, stdout=io.StringIO(), stderr=stderr)
    return str(raised.value), stderr.getvalue()


class TestImportPartnersCommand:
    def test_a_good_file_is_imported_and_the_counts_printed(self):
        # when
        stdout, _ = run("import_partners", str(DATA / "partners-sample.csv"))
        # then
        assert stdout.strip() == "created 200, updated 0"
        assert Partner.objects.count() == 200

    def test_a_second_run_prints_the_updates(self, tmp_path):
        # given
        PartnerFactory(external_id="P-0001")
        path = tmp_path / "partners.csv"
        path.write_bytes(csv_bytes([partner_row(), partner_row(external_id="P-0002")]))
        # when
        stdout, _ = run("import_partners", str(path))
        # then
        assert stdout.strip() == "created 1, updated 1"

    def test_a_bad_file_prints_every_error_fails_and_writes_nothing(self, tmp_path):
        # given
        path = tmp_path / "partners.csv"
        path.write_bytes(
            csv_bytes(
                [
                    partner_row(tier="diamond"),
                    partner_row(external_id="P-0002", joined_at="yesterday"),
                ]
            )
        )
        # when
        message, stderr = run_failing("import_partners", str(path))
        # then
        assert message == "2 error(s) in partners.csv; nothing was imported."
        assert stderr.splitlines() == [
            "row 2, column tier: 'diamond' is not one of: registered, silver, gold, platinum.",
            "row 3, column joined_at: 'yesterday' is not a date (expected YYYY-MM-DD).",
        ]
        assert not Partner.objects.exists()

    def test_a_file_level_error_is_printed_without_a_row(self, tmp_path):
        # given
        path = tmp_path / "partners.ods"
        path.write_bytes(b"whatever")
        # when
        _, stderr = run_failing("import_partners", str(path))
        # then
        assert stderr.startswith("file: Unsupported file type '.ods'")

    def test_a_missing_column_is_printed_with_its_column(self, tmp_path):
        # given
        path = tmp_path / "partners.csv"
        path.write_text("external_id,name\nP-1,Acme\n")
        # when
        _, stderr = run_failing("import_partners", str(path))
        # then
        assert "column partner_type: This required column is missing." in stderr.splitlines()

    def test_a_missing_file_fails_with_a_clear_message(self, tmp_path):
        message, _ = run_failing("import_partners", str(tmp_path / "nope.csv"))
        assert message.startswith("Cannot read")

    def test_an_xlsx_file_is_imported(self, tmp_path):
        # given
        workbook = openpyxl.Workbook()
        workbook.active.append(list(PARTNER_COLUMNS))
        workbook.active.append(list(partner_row().values()))
        path = tmp_path / "partners.xlsx"
        workbook.save(path)
        # when
        stdout, _ = run("import_partners", str(path))
        # then
        assert stdout.strip() == "created 1, updated 0"


class TestImportContactsCommand:
    def test_the_sample_contacts_are_imported_after_the_sample_partners(self):
        # given
        run("import_partners", str(DATA / "partners-sample.csv"))
        # when
        stdout, _ = run("import_contacts", str(DATA / "contacts-sample.csv"))
        # then
        assert stdout.strip() == "created 479, updated 0"
        assert Contact.objects.count() == 479

    def test_a_bad_contacts_file_prints_the_errors_and_fails(self, tmp_path):
        # given
        path = tmp_path / "contacts.csv"
        path.write_bytes(csv_bytes([contact_row()]))
        # when
        message, stderr = run_failing("import_contacts", str(path))
        # then
        assert message == "1 error(s) in contacts.csv; nothing was imported."
        assert stderr.strip() == (
            "row 2, column partner_external_id: No partner has the external_id 'P-0001'."
        )
        assert not Contact.objects.exists()


class TestExportPartnersCommand:
    def test_a_csv_export_is_written_with_the_filters_applied(self, tmp_path):
        # given
        PartnerFactory(external_id="E-1", region=Region.EMEA)
        PartnerFactory(external_id="N-1", region=Region.NA)
        output = tmp_path / "out.csv"
        # when
        stdout, _ = run(
            "export_partners", "--format", "csv", "--output", str(output), "--filter", "region=na"
        )
        # then
        assert stdout.strip() == f"exported 1 partners to {output}"
        rows = list(csv.DictReader(output.open(encoding="utf-8")))
        assert [row["external_id"] for row in rows] == ["N-1"]

    def test_an_xlsx_export_is_written(self, tmp_path):
        # given
        PartnerFactory(external_id="P-1")
        output = tmp_path / "out.xlsx"
        # when
        run("export_partners", "--format", "xlsx", "--output", str(output))
        # then
        sheet = openpyxl.load_workbook(output, read_only=True).active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0] == PARTNER_COLUMNS
        assert rows[1][0] == "P-1"

    def test_an_invalid_filter_fails(self, tmp_path):
        message, _ = run_failing(
            "export_partners", "--output", str(tmp_path / "x.csv"), "--filter", "region=mars"
        )
        assert message.startswith("Invalid filter")

    def test_a_filter_without_a_value_fails(self, tmp_path):
        message, _ = run_failing(
            "export_partners", "--output", str(tmp_path / "x.csv"), "--filter", "region"
        )
        assert message == "--filter expects KEY=VALUE, got 'region'."


class TestBenchImportCommand:
    def test_the_bench_times_creates_and_updates_and_leaves_the_database_as_it_was(self):
        # given
        tags_before = Industry.objects.count()
        # when
        stdout, _ = run("bench_import", "--rows", "50")
        # then
        lines = stdout.strip().splitlines()
        assert lines[0].startswith("partners-create: ")
        assert lines[0].endswith("created 50, updated 0")
        assert lines[1].endswith("created 0, updated 50")
        figures = json.loads(lines[-1])
        assert figures["rows"] == 50
        assert figures["create_s"] > 0
        assert figures["update_s"] > 0
        assert not Partner.objects.exists()
        assert Industry.objects.count() == tags_before

    def test_the_bench_refuses_to_run_over_existing_bench_partners(self):
        PartnerFactory(external_id=f"{PREFIX}0000001")
        message, _ = run_failing("bench_import", "--rows", "5")
        assert "delete them first" in message
