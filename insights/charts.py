"""Chart.js configurations (plain dicts, drawn by static/js/app.js) for the insights pages."""

from __future__ import annotations

from typing import Any

import pandas as pd

from prm.charts import PALETTE

_LEGEND = {"position": "bottom", "labels": {"boxWidth": 12, "usePointStyle": True}}
_GRID = {"color": "rgba(15, 23, 42, .06)"}
QUADRANT_COLOURS = {
    "invest": "#ef4444",
    "grow": "#10b981",
    "develop": "#f59e0b",
    "maintain": "#94a3b8",
}


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def kpi_lines(
    kpis: pd.DataFrame, *, column: str, label: str, money: bool = False
) -> dict[str, Any]:
    """One line per segment of a KPI over the periods (`money`: the y axis and tooltips in
    money, see static/js/app.js)."""
    periods = list(dict.fromkeys(kpis["period"])) if not kpis.empty else []
    datasets = []
    for index, (name, rows) in enumerate(kpis.groupby("segment", sort=False)):
        values = dict(zip(rows["period"], rows[column], strict=True))
        datasets.append(
            {
                "label": name,
                "data": [_number(values.get(period)) for period in periods],
                "borderColor": PALETTE[index % len(PALETTE)],
                "backgroundColor": PALETTE[index % len(PALETTE)],
                "borderWidth": 2,
                "pointRadius": 2,
                "tension": 0.25,
            }
        )
    return {
        "type": "line",
        **({"formats": {"y": "money"}} if money else {}),
        "data": {"labels": periods, "datasets": datasets},
        "options": {
            "interaction": {"mode": "index", "intersect": False},
            "plugins": {"legend": _LEGEND, "title": {"display": True, "text": label}},
            "scales": {
                "x": {"grid": {"display": False}},
                "y": {"beginAtZero": True, "grid": _GRID},
            },
        },
    }


def sparkline(values: list[Any]) -> dict[str, Any]:
    """A tiny line without axes for a table cell."""
    return {
        "type": "line",
        "data": {
            "labels": list(range(len(values))),
            "datasets": [
                {
                    "data": [_number(value) for value in values],
                    "borderColor": PALETTE[0],
                    "borderWidth": 1.5,
                    "pointRadius": 0,
                    "tension": 0.3,
                }
            ],
        },
        "options": {
            "plugins": {"legend": {"display": False}, "tooltip": {"enabled": False}},
            "scales": {"x": {"display": False}, "y": {"display": False}},
            "animation": False,
        },
    }


def grouped_bars(
    labels: list[str], series: dict[str, list[Any]], *, money: bool = False
) -> dict[str, Any]:
    """Bars per label, one colour per series (segments side by side); `money` as in
    kpi_lines."""
    return {
        "type": "bar",
        **({"formats": {"y": "money"}} if money else {}),
        "data": {
            "labels": labels,
            "datasets": [
                {
                    "label": name,
                    "data": [_number(value) for value in values],
                    "backgroundColor": PALETTE[index % len(PALETTE)],
                    "borderRadius": 3,
                }
                for index, (name, values) in enumerate(series.items())
            ],
        },
        "options": {
            "plugins": {"legend": _LEGEND},
            "scales": {
                "x": {"grid": {"display": False}},
                "y": {"beginAtZero": True, "grid": _GRID},
            },
        },
    }


def value_need_scatter(matrix: dict[str, Any]) -> dict[str, Any]:
    """Partners as points (x = enablement need, y = revenue potential), one colour per
    quadrant, with the median lines as two extra line datasets."""
    points = matrix["points"]
    datasets = []
    for quadrant, colour in QUADRANT_COLOURS.items():
        rows = points[points["quadrant"] == quadrant]
        datasets.append(
            {
                "label": f"{quadrant.title()} ({matrix['quadrants'][quadrant]})",
                "data": [
                    {"x": round(float(need), 2), "y": round(float(value), 2), "name": name}
                    for need, value, name in zip(
                        rows["need"], rows["value"], rows["name"], strict=True
                    )
                ],
                "backgroundColor": colour,
                "pointRadius": 3,
            }
        )
    top = float(points["value"].max()) if not points.empty else 1.0
    value_median, need_median = matrix["value_median"], matrix["need_median"]
    for label, data in (
        ("Median need", [{"x": need_median, "y": 0}, {"x": need_median, "y": top}]),
        ("Median value", [{"x": 0, "y": value_median}, {"x": 100, "y": value_median}]),
    ):
        datasets.append(
            {
                "showLine": True,
                "isMedian": True,
                "label": label,
                "data": data,
                "borderColor": "#334155",
                "borderDash": [6, 4],
                "borderWidth": 1,
                "pointRadius": 0,
            }
        )
    return {
        "type": "scatter",
        "data": {"datasets": datasets},
        "options": {
            # Up to a few thousand points: drawn at once, not animated.
            "animation": False,
            "plugins": {"legend": _LEGEND},
            "scales": {
                "x": {
                    "min": 0,
                    "max": 100,
                    "title": {"display": True, "text": "Enablement need (100 - completion %)"},
                    "grid": _GRID,
                },
                "y": {
                    "beginAtZero": True,
                    "title": {"display": True, "text": "Revenue potential (revenue, 12 months)"},
                    "grid": _GRID,
                },
            },
        },
    }


def forecast_bars(forecasts: pd.DataFrame) -> dict[str, Any]:
    """Last quarter against the forecast of the next, per segment."""
    labels = forecasts["segment"].tolist()
    return grouped_bars(
        labels,
        {
            "Last 3 months": forecasts["last_quarter"].tolist(),
            "Next 3 months (forecast)": forecasts["next_quarter"].tolist(),
        },
        money=True,
    )


def cluster_sizes(clusters: list) -> dict[str, Any]:
    return grouped_bars(
        [f"Cluster {cluster.number}" for cluster in clusters],
        {
            "Partners in the cluster": [cluster.size for cluster in clusters],
            "Partners the proposed rule matches": [cluster.rule_matches for cluster in clusters],
        },
    )
