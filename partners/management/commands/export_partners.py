"""`manage.py export_partners --format csv|xlsx --output FILE [--filter KEY=VALUE …]`."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import QueryDict

from partners import exports, selectors


class Command(BaseCommand):
    help = "Export partners in the import columns; filters are those of /api/partners/."

    def add_arguments(self, parser):
        parser.add_argument("--format", dest="file_format", choices=exports.FORMATS, default="csv")
        parser.add_argument(
            "--output", type=Path, help="The file to write (default: partners-YYYYMMDD.<format>)."
        )
        parser.add_argument(
            "--filter",
            dest="filters",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="A list filter, as in the API query string (e.g. region=emea); repeatable.",
        )

    def handle(self, *args, file_format: str, output: Path | None, filters: list[str], **options):
        query = QueryDict(mutable=True)
        for item in filters:
            key, separator, value = item.partition("=")
            if not separator or not key:
                raise CommandError(f"--filter expects KEY=VALUE, got {item!r}.")
            query.appendlist(key, value)
        try:
            queryset = selectors.partner_list(filters=query)
        except ValidationError as error:
            raise CommandError(f"Invalid filter: {error}") from None
        output = output or Path(exports.export_filename(file_format))
        mode = {"csv": {"mode": "w", "encoding": "utf-8", "newline": ""}, "xlsx": {"mode": "wb"}}
        try:
            with output.open(**mode[file_format]) as stream:
                exports.partners_export_write(
                    queryset=queryset, file_format=file_format, stream=stream
                )
        except OSError as error:
            raise CommandError(f"Cannot write {output}: {error.strerror or error}") from None
        self.stdout.write(f"exported {queryset.count()} partners to {output}")
