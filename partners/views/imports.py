"""The import page: upload partners or contacts (CSV/XLSX), see every row error or the counts.

It runs the very import the API endpoint and the import_partners/import_contacts commands run
(partners.imports): every row is checked and then all rows are written, or none.
"""

from __future__ import annotations

import csv
import io

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from partners import imports
from partners.access import StaffRequiredMixin
from partners.forms import ImportForm

TEMPLATE = "partners/import.html"
IMPORTS = {"partners": imports.partners_import, "contacts": imports.contacts_import}
# Example rows of the downloadable templates, in the documented columns.
TEMPLATE_ROWS = {
    "partners": (
        imports.PARTNER_COLUMNS,
        [
            [
                "ACME-001",
                "Acme Cloud Services",
                "msp",
                "silver",
                "emea",
                "DE",
                "120",
                "2500000",
                "active",
                "2022-03-01",
                "4",
                "healthcare;finance",
                "aws;security",
                "cloud-architect",
                "400000",
                "12",
            ],
            [
                "ACME-002",
                "Northwind Integrators",
                "si",
                "",
                "na",
                "US",
                "",
                "",
                "onboarding",
                "",
                "",
                "manufacturing",
                "",
                "",
                "",
                "",
            ],
        ],
    ),
    "contacts": (
        imports.CONTACT_COLUMNS,
        [
            ["ACME-001", "Ada", "Lovelace", "ada@acme.example", "technical", "true"],
            ["ACME-001", "Grace", "Hopper", "grace@acme.example", "executive", "false"],
        ],
    ),
}


def _run_import(kind: str, upload, *, dry_run: bool) -> imports.ImportResult:
    """Run the import; a dry run does all of it, then rolls the transaction back (its
    announcements are on_commit hooks, so they are dropped with it)."""
    with transaction.atomic():
        result = IMPORTS[kind](file=upload, filename=upload.name)
        if dry_run:
            transaction.set_rollback(True)
    return result


class ImportView(StaffRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        initial = {"kind": request.GET.get("kind")} if request.GET.get("kind") in IMPORTS else {}
        return self._render(request, ImportForm(initial=initial))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._render(request, form, status=400)
        kind, upload = form.cleaned_data["kind"], form.cleaned_data["file"]
        dry_run = form.cleaned_data["dry_run"]
        context = {"kind": kind, "filename": upload.name, "dry_run": dry_run}
        try:
            result = _run_import(kind, upload, dry_run=dry_run)
        except imports.ImportValidationError as error:
            context["errors"] = error.errors
            context["error_rows"] = len({e["row"] for e in error.errors if e["row"] is not None})
            return self._render(request, form, status=400, **context)
        context["result"] = result
        # A fresh form: the same kind, ready for the next file.
        return self._render(request, ImportForm(initial={"kind": kind}), **context)

    def _render(self, request, form, status=200, **extra):
        context = {"nav": "partners", "form": form, **extra}
        return render(request, TEMPLATE, context, status=status)


class ImportTemplateView(StaffRequiredMixin, View):
    """A CSV template for an import: the header and two example rows."""

    def get(self, request: HttpRequest, kind: str) -> HttpResponse:
        if kind not in TEMPLATE_ROWS:
            raise Http404("No template for this kind of import.")
        header, rows = TEMPLATE_ROWS[kind]
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(rows)
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{kind}-template.csv"'
        return response
