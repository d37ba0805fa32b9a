"""What every insights page shares: staff only, bad parameters as a 400 with the reason,
and ?format=csv|xlsx (with ?table=) to download a table instead of the page."""

from __future__ import annotations

from typing import Any

import pandas as pd
from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.views import View

from insights import clustering
from insights.exports import table_download
from insights.periods import PERIOD_KINDS
from partners.access import StaffRequiredMixin
from partners.exports import FORMATS
from segments.models import Segment

MAX_PERIODS = 36


class BadInput(ValueError):
    """A query parameter the page cannot use (shown with a 400)."""


def int_param(value: str | None, *, name: str, default: int, low: int, high: int) -> int:
    """A whole-number query parameter within [low, high], or `default` when absent."""
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        raise BadInput(f"{name} must be a whole number") from None
    if not low <= number <= high:
        raise BadInput(f"{name} must be between {low} and {high}")
    return number


def segment_param(request) -> int | None:
    """The id of an existing segment from ?segment=, or None when absent."""
    value = request.GET.get("segment")
    if not value:
        return None
    pk = int_param(value, name="segment", default=0, low=1, high=2**62)
    if not Segment.objects.filter(pk=pk).exists():
        raise BadInput(f"there is no segment {pk}")
    return pk


def frame_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A DataFrame as dicts for a template, NaN as None."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


class InsightsView(StaffRequiredMixin, View):
    """GET → the page, or with ?format=csv|xlsx (and ?table= where a page has several) the
    table as a file; bad parameters → 400 with the reason."""

    template_name = ""
    tables: tuple[str, ...] = ()

    def get(self, request, *args, **kwargs):
        try:
            file_format = request.GET.get("format")
            if file_format:
                if file_format not in FORMATS:
                    raise BadInput("format must be csv or xlsx")
                table = request.GET.get("table") or self.tables[0]
                if table not in self.tables:
                    raise BadInput(f"table must be one of: {', '.join(self.tables)}")
                return table_download(self.table(table), name=table, file_format=file_format)
            context = self.context()
        except BadInput as error:
            return HttpResponseBadRequest(f"Bad request: {error}", content_type="text/plain")
        except clustering.ClusteringError as error:
            return HttpResponseBadRequest(f"Bad request: {error}", content_type="text/plain")
        context.setdefault("nav", "insights")
        context["query"] = request.GET.urlencode()
        return render(request, self.template_name, context)

    def table(self, name: str) -> pd.DataFrame:
        raise NotImplementedError

    def context(self) -> dict[str, Any]:
        raise NotImplementedError

    def download_url(self, table: str, file_format: str) -> str:
        params = self.request.GET.copy()
        params["format"], params["table"] = file_format, table
        return f"{self.request.path}?{params.urlencode()}"

    def downloads(self, table: str) -> dict[str, str]:
        return {file_format: self.download_url(table, file_format) for file_format in FORMATS}


class PeriodMixin:
    def period_choice(self) -> tuple[str, int]:
        kind = self.request.GET.get("period") or "month"
        if kind not in PERIOD_KINDS:
            raise BadInput("period must be month or quarter")
        default = 12 if kind == "month" else 8
        count = int_param(
            self.request.GET.get("periods"),
            name="periods",
            default=default,
            low=2,
            high=MAX_PERIODS,
        )
        return kind, count
