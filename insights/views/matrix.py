"""The value / need matrix page."""

from __future__ import annotations

from typing import Any

import pandas as pd

from insights import charts, selectors
from insights.views.base import InsightsView, frame_rows, segment_param
from segments.models import Segment


class MatrixView(InsightsView):
    """/insights/matrix/: revenue potential against enablement need, split at the medians."""

    template_name = "insights/matrix.html"
    tables = ("value-need-quadrants", "value-need-partners")

    def matrix(self) -> dict[str, Any]:
        return selectors.value_need_matrix(segment_id=segment_param(self.request))

    def table(self, name: str) -> pd.DataFrame:
        matrix = self.matrix()
        if name == "value-need-partners":
            return matrix["points"][
                ["external_id", "name", "value", "need", "quadrant", "is_at_risk"]
            ]
        return self._quadrants(matrix)

    def _quadrants(self, matrix: dict[str, Any]) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {"quadrant": key, "meaning": label, "partners": matrix["quadrants"][key]}
                for key, label in selectors.QUADRANTS.items()
            ]
        )

    def context(self) -> dict[str, Any]:
        matrix = self.matrix()
        return {
            "matrix": matrix,
            "quadrants": frame_rows(self._quadrants(matrix)),
            "chart": charts.value_need_scatter(matrix),
            "sampled": len(matrix["points"]),
            "segment_id": segment_param(self.request),
            "segments": list(Segment.objects.order_by("name").values("id", "name")),
            "downloads": {
                "quadrants": self.downloads("value-need-quadrants"),
                "partners": self.downloads("value-need-partners"),
            },
        }
