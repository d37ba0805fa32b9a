"""Ecosystem map: industries (verticals) by technologies (horizontals), counting partners with
an active certification in each cell and marking the thin and empty cells as gaps."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from django.views.generic import TemplateView

from partners.access import StaffRequiredMixin
from partners.forms import EcosystemFilterForm
from partners.selectors import ecosystem_matrix

HEAT_LEVELS = 5


def heat_class(count: int, *, threshold: int, top: int) -> str:
    """The CSS class of a cell: a gap (empty or below the threshold) or a heat level 1-5
    relative to the fullest cell."""
    if count == 0:
        return "gap-empty"
    if count < threshold:
        return "gap-thin"
    if top <= threshold:
        return "heat-1"
    level = 1 + round((count - threshold) / (top - threshold) * (HEAT_LEVELS - 1))
    return f"heat-{min(max(level, 1), HEAT_LEVELS)}"


class EcosystemMapView(StaffRequiredMixin, TemplateView):
    """The map for the chosen region, tier and type; bad filters are a 400 with the errors
    beside the fields."""

    template_name = "partners/ecosystem.html"

    def get(self, request, *args, **kwargs):
        form = EcosystemFilterForm(request.GET or None)
        if form.is_bound and not form.is_valid():
            context = self.get_context_data(form=form, matrix=None)
            return self.render_to_response(context, status=400)
        if not form.is_bound:
            form = EcosystemFilterForm({"threshold": EcosystemFilterForm.DEFAULT_THRESHOLD})
            form.is_valid()
        filters = form.filters()
        matrix = ecosystem_matrix(**filters)
        return self.render_to_response(
            self.get_context_data(
                form=form,
                matrix=self._table(matrix, filters=filters, threshold=form.gap_threshold()),
                threshold=form.gap_threshold(),
                filtered=any(filters.values()),
                filter_summary=self._summary(form),
            )
        )

    @staticmethod
    def _summary(form: EcosystemFilterForm) -> list[str]:
        """The chosen filters as their display names, for the map's header."""
        data = form.cleaned_data
        labels = []
        for name in ("region", "tier", "partner_type"):
            value = data.get(name)
            if value:
                choices = dict(form.fields[name].choices) if name != "tier" else {}
                labels.append(str(choices.get(value, value)))
        return labels

    def get_context_data(self, **kwargs):
        return super().get_context_data(nav="ecosystem", **kwargs)

    @staticmethod
    def _table(matrix: dict, *, filters: dict, threshold: int) -> dict:
        """The matrix as rows of cells, each with its count, CSS class and partner-list link."""
        list_url = reverse("partners:list")
        base_query = {key: value for key, value in filters.items() if value}
        base_query["has_certification"] = "true"
        technologies = matrix["technologies"]
        top = max(matrix["cells"].values(), default=0)
        rows, gaps, covered = [], 0, 0
        for industry in matrix["industries"]:
            cells = []
            for technology in technologies:
                count = matrix["cells"].get((industry.id, technology.id), 0)
                css = heat_class(count, threshold=threshold, top=top)
                if css.startswith("gap"):
                    gaps += 1
                else:
                    covered += 1
                query = {
                    **base_query,
                    "industries": industry.slug,
                    "technologies": technology.slug,
                }
                cells.append(
                    {
                        "technology": technology,
                        "count": count,
                        "css": css,
                        "is_gap": css.startswith("gap"),
                        "url": f"{list_url}?{urlencode(query)}",
                    }
                )
            rows.append(
                {
                    "industry": industry,
                    "cells": cells,
                    "total": matrix["industry_totals"].get(industry.id, 0),
                    "url": f"{list_url}?{urlencode({**base_query, 'industries': industry.slug})}",
                }
            )
        columns = [
            {
                "technology": technology,
                "total": matrix["technology_totals"].get(technology.id, 0),
                "url": f"{list_url}?{urlencode({**base_query, 'technologies': technology.slug})}",
            }
            for technology in technologies
        ]
        return {
            "rows": rows,
            "columns": columns,
            "total": matrix["total"],
            "gaps": gaps,
            "covered": covered,
            "cell_count": gaps + covered,
            "top": top,
        }
