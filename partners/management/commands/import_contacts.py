"""`manage.py import_contacts FILE.csv|.xlsx`: upsert contacts from a file, all rows or none."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit.context import audit_actor
from partners.imports import ImportValidationError, contacts_import


class ImportCommand(BaseCommand):
    """Runs an import function on a file: prints the counts, or every error and exits 1."""

    import_function = None

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="A .csv or .xlsx file in the import columns.")

    def handle(self, *args, file: Path, **options):
        command = self.__module__.rsplit(".", 1)[-1]
        try:
            with file.open("rb") as handle, audit_actor(system=f"{command} command"):
                result = self.import_function(file=handle, filename=file.name)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror or error}") from None
        except ImportValidationError as error:
            for item in error.errors:
                where = ", ".join(
                    part
                    for part in (
                        f"row {item['row']}" if item["row"] is not None else "",
                        f"column {item['column']}" if item["column"] is not None else "",
                    )
                    if part
                )
                self.stderr.write(f"{where or 'file'}: {item['message']}")
            raise CommandError(
                f"{len(error.errors)} error(s) in {file.name}; nothing was imported."
            ) from None
        self.stdout.write(f"created {result.created}, updated {result.updated}")


class Command(ImportCommand):
    help = "Upsert contacts (matched on e-mail) from a CSV or XLSX file; all rows or none."
    import_function = staticmethod(contacts_import)
