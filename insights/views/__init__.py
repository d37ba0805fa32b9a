"""Manager pages of insights: segment KPIs over time, comparison, value/need matrix,
forecasts and suggested segments. Every table downloads with ?format=csv|xlsx."""

from insights.views.forecast import ForecastView
from insights.views.kpis import CompareView, OverviewView
from insights.views.matrix import MatrixView
from insights.views.suggestions import SuggestionsView

__all__ = ["CompareView", "ForecastView", "MatrixView", "OverviewView", "SuggestionsView"]
