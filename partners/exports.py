"""Export of partner lists to CSV/XLSX (being written)."""

FORMATS = ("csv", "xlsx")


def partners_export_response(*, queryset, file_format: str):
    raise NotImplementedError
