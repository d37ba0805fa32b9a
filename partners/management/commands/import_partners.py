"""`manage.py import_partners FILE.csv|.xlsx`: upsert partners from a file, all rows or none."""

from partners.imports import partners_import
from partners.management.commands.import_contacts import ImportCommand


class Command(ImportCommand):
    help = "Upsert partners (matched on external_id) from a CSV or XLSX file; all rows or none."
    import_function = staticmethod(partners_import)
