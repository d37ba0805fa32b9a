"""Manager pages of insights: segment KPIs over time, comparison, value/need matrix,
forecasts, the deal pipeline and suggested segments. Every table downloads with ?format=csv|xlsx."""

from insights.views.deals import DealsView
from insights.views.forecast import ForecastView
from insights.views.kpis import CompareView, OverviewView
from insights.views.matrix import MatrixView
from insights.views.suggestions import SuggestionsView

__all__ = [
    "CompareView",
    "DealsView",
    "ForecastView",
    "MatrixView",
    "OverviewView",
    "SuggestionsView",
]
