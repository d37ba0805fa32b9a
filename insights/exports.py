"""Every insights table as a CSV or XLSX download, text cells made formula-safe."""

from __future__ import annotations

import csv
import io
import math

import openpyxl
import pandas as pd
from django.http import HttpResponse
from django.utils import timezone

from partners.exports import CONTENT_TYPES, FORMATS, escape_formula


def _cell(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    return escape_formula(value)


def table_download(frame: pd.DataFrame, *, name: str, file_format: str) -> HttpResponse:
    """The frame as `<name>-<date>.csv|xlsx`, its columns as the header row."""
    if file_format not in FORMATS:
        raise ValueError(f"unknown format {file_format!r}; expected csv or xlsx")
    header = [str(column) for column in frame.columns]
    rows = [[_cell(value) for value in row] for row in frame.itertuples(index=False, name=None)]
    filename = f"{name}-{timezone.localdate():%Y-%m-%d}.{file_format}"
    if file_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(rows)
        content: bytes | str = buffer.getvalue()
    else:
        workbook = openpyxl.Workbook(write_only=True)
        sheet = workbook.create_sheet(title=name[:31])
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        output = io.BytesIO()
        workbook.save(output)
        content = output.getvalue()
    response = HttpResponse(content, content_type=CONTENT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
