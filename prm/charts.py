"""Chart.js configurations (plain dicts, drawn by static/js/app.js) for the dashboard."""

from __future__ import annotations

from typing import Any

PALETTE = ["#4f46e5", "#0ea5e9", "#10b981", "#f59e0b", "#ef4444", "#8b5cf6", "#14b8a6", "#64748b"]
TIER_COLOURS = ["#94a3b8", "#64748b", "#eab308", "#6366f1", "#0ea5e9", "#10b981"]
NOT_SET = "#cbd5e1"
STAGE_COLOURS = {
    "applicant": "#94a3b8",
    "onboarding": "#38bdf8",
    "active": "#22c55e",
    "dormant": "#f59e0b",
    "churned": "#ef4444",
}
BAND_COLOURS = {
    "none": "#e2e8f0",
    "low": "#fecaca",
    "some": "#fde68a",
    "most": "#93c5fd",
    "high": "#22c55e",
}

# Short names where the full ones do not fit beside a bar.
TYPE_SHORT_LABELS = {
    "var": "VAR",
    "msp": "MSP",
    "isv": "ISV",
    "si": "System integrator",
}

_LEGEND_BOTTOM = {"position": "bottom", "labels": {"boxWidth": 12, "usePointStyle": True}}
_GRID = {"color": "rgba(15, 23, 42, .06)"}


def _colours(items: list[dict], palette: list[str]) -> list[str]:
    return [
        NOT_SET if item["key"] is None else palette[index % len(palette)]
        for index, item in enumerate(items)
    ]


def doughnut(items: list[dict], palette: list[str] = PALETTE) -> dict[str, Any]:
    """A doughnut of {key, label, count} items."""
    return {
        "type": "doughnut",
        "data": {
            "labels": [item["label"] for item in items],
            "datasets": [
                {
                    "data": [item["count"] for item in items],
                    "backgroundColor": _colours(items, palette),
                    "borderWidth": 2,
                    "borderColor": "#fff",
                }
            ],
        },
        "options": {"cutout": "62%", "plugins": {"legend": _LEGEND_BOTTOM}},
    }


def bar(
    items: list[dict],
    *,
    label: str,
    colours: list[str] | str = PALETTE[0],
    horizontal: bool = False,
) -> dict[str, Any]:
    """A bar chart of {key, label, count} items."""
    value_axis = {"beginAtZero": True, "grid": _GRID, "ticks": {"precision": 0}}
    category_axis = {"grid": {"display": False}}
    return {
        "type": "bar",
        "data": {
            "labels": [item["label"] for item in items],
            "datasets": [
                {
                    "label": label,
                    "data": [item["count"] for item in items],
                    "backgroundColor": colours,
                    "borderRadius": 4,
                    "maxBarThickness": 36,
                }
            ],
        },
        "options": {
            "indexAxis": "y" if horizontal else "x",
            "plugins": {"legend": {"display": False}},
            "scales": {
                "x": category_axis if not horizontal else value_axis,
                "y": value_axis if not horizontal else category_axis,
            },
        },
    }


def type_bar(items: list[dict]) -> dict[str, Any]:
    short = [{**item, "label": TYPE_SHORT_LABELS.get(item["key"], item["label"])} for item in items]
    return bar(short, label="Partners", horizontal=True)


def lifecycle_bar(items: list[dict]) -> dict[str, Any]:
    return bar(
        items,
        label="Partners",
        colours=[STAGE_COLOURS.get(item["key"], NOT_SET) for item in items],
    )


def segment_trend(trend: list[dict]) -> dict[str, Any]:
    """One line per segment: its size at the end of each day."""
    labels = [point["date"].strftime("%b %-d") for point in trend[0]["points"]] if trend else []
    return {
        "type": "line",
        "data": {
            "labels": labels,
            "datasets": [
                {
                    "label": series["segment"]["name"],
                    "data": [point["members"] for point in series["points"]],
                    "borderColor": PALETTE[index % len(PALETTE)],
                    "backgroundColor": PALETTE[index % len(PALETTE)],
                    "borderWidth": 2,
                    "pointRadius": 0,
                    "pointHoverRadius": 4,
                    "tension": 0.25,
                    "spanGaps": False,
                }
                for index, series in enumerate(trend)
            ],
        },
        "options": {
            "interaction": {"mode": "index", "intersect": False},
            "plugins": {"legend": _LEGEND_BOTTOM},
            "scales": {
                "x": {"grid": {"display": False}, "ticks": {"maxTicksLimit": 10}},
                "y": {"beginAtZero": True, "grid": _GRID, "ticks": {"precision": 0}},
            },
        },
    }


def completion_by_tier(overview: dict) -> dict[str, Any]:
    """Stacked horizontal bars: per tier, how many partners fall in each completion band."""
    rows = overview["by_tier"]
    return {
        "type": "bar",
        "data": {
            "labels": [row["tier"] for row in rows],
            "datasets": [
                {
                    "label": band["label"],
                    "data": [row["bands"][band["key"]] for row in rows],
                    "backgroundColor": BAND_COLOURS[band["key"]],
                    "borderRadius": 3,
                    "maxBarThickness": 26,
                }
                for band in overview["bands"]
            ],
        },
        "options": {
            "indexAxis": "y",
            "plugins": {"legend": _LEGEND_BOTTOM},
            "scales": {
                "x": {
                    "stacked": True,
                    "beginAtZero": True,
                    "grid": _GRID,
                    "ticks": {"precision": 0},
                },
                "y": {"stacked": True, "grid": {"display": False}},
            },
        },
    }
