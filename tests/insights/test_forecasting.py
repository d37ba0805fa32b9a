import datetime as dt

import pandas as pd
import pytest

from insights import forecasting, selectors
from insights.periods import add_months
from tests.insights.conftest import revenue
from tests.partners.factories import PartnerFactory

# Seasonal deviation by calendar month, January first (sums to 0).
SEASON = [100, -50, 0, 30, -30, 20, -20, 60, -60, 10, -10, -50]
UNTIL = dt.date(2026, 12, 1)  # history Dec 2023 - Nov 2026, forecast Dec 2026 - Feb 2027


def _seasonal_series(key, *, base=1000.0, slope=10.0, months=36):
    start = add_months(UNTIL, -months)
    rows = []
    for step in range(months):
        month = add_months(start, step)
        rows.append((key, month, base + slope * step + SEASON[month.month - 1]))
    return rows


def test_forecast_of_a_trend_with_seasonality_equals_the_hand_computed_quarter():
    history = pd.DataFrame(_seasonal_series("p1"), columns=["key", "month", "revenue"])

    result = forecasting.forecast_next_quarter(history, until=UNTIL).set_index("key")

    # Steps 36, 37, 38 after Dec 2023 are Dec 2026 (-50), Jan 2027 (+100), Feb 2027 (-50):
    # (1000 + 360 - 50) + (1000 + 370 + 100) + (1000 + 380 - 50) = 1310 + 1470 + 1330.
    row = result.loc["p1"]
    assert bool(row["is_seasonal"])
    assert row["trend"] == pytest.approx(10.0)
    assert [row["month_1"], row["month_2"], row["month_3"]] == pytest.approx([1310, 1470, 1330])
    assert row["next_quarter"] == pytest.approx(4110)
    # The last quarter: Sep, Oct, Nov 2026 (steps 33-35; seasons -60, +10, -10).
    assert row["last_quarter"] == pytest.approx((1330 - 60) + (1340 + 10) + (1350 - 10))
    # A perfect series is forecast perfectly in the back-test too.
    assert row["backtest_mae"] == pytest.approx(0, abs=1e-6)
    assert row["backtest_mape_pct"] == pytest.approx(0, abs=1e-6)


def test_short_history_gets_a_straight_line_and_a_back_test_error():
    months = [add_months(UNTIL, -6 + step) for step in range(6)]
    values = [100, 110, 120, 130, 140, 150]
    history = pd.DataFrame(
        {"key": "short", "month": months, "revenue": values}, columns=["key", "month", "revenue"]
    )

    row = forecasting.forecast_next_quarter(history, until=UNTIL).set_index("key").loc["short"]

    assert not bool(row["is_seasonal"])
    assert row["next_quarter"] == pytest.approx(160 + 170 + 180)
    assert row["backtest_mae"] == pytest.approx(0, abs=1e-6)


def test_back_test_error_is_the_mean_absolute_and_percentage_error_of_the_held_out_quarter():
    # Fit on 100, 100, 100 (flat); the held-out quarter is 100, 150, 50:
    # errors 0, 50, 50 -> MAE 33.33; MAPE = (0 + 50/150 + 50/50) / 3 = 44.44 %.
    months = [add_months(UNTIL, -6 + step) for step in range(6)]
    history = pd.DataFrame(
        {"key": "k", "month": months, "revenue": [100, 100, 100, 100, 150, 50]},
        columns=["key", "month", "revenue"],
    )

    row = forecasting.forecast_next_quarter(history, until=UNTIL).set_index("key").loc["k"]

    assert row["backtest_forecast"] == pytest.approx(300)
    assert row["backtest_mae"] == pytest.approx(100 / 3, abs=0.01)
    assert row["backtest_mape_pct"] == pytest.approx((0 + 50 / 150 + 1) / 3 * 100, abs=0.01)


def test_months_without_a_record_count_as_no_revenue():
    history = pd.DataFrame(
        [("k", dt.date(2026, 9, 1), 300.0), ("k", dt.date(2026, 11, 1), 300.0)],
        columns=["key", "month", "revenue"],
    )

    series = forecasting.complete_series(history, until=UNTIL)

    assert series["revenue"].tolist() == [300.0, 0.0, 300.0]


def test_many_series_are_fitted_together_each_with_its_own_model():
    rows = _seasonal_series("a") + _seasonal_series("b", base=5000.0, slope=-20.0)
    history = pd.DataFrame(rows, columns=["key", "month", "revenue"])

    result = forecasting.forecast_next_quarter(history, until=UNTIL).set_index("key")

    assert result.loc["a", "next_quarter"] == pytest.approx(4110)
    # b: (5000 - 720 - 50) + (5000 - 740 + 100) + (5000 - 760 - 50)
    assert result.loc["b", "next_quarter"] == pytest.approx(4230 + 4360 + 4190)
    assert result.loc["b", "trend"] == pytest.approx(-20.0)


@pytest.mark.django_db
def test_partner_and_segment_forecasts_read_the_performance_records():
    from segments.models import Membership
    from tests.segments.factories import SegmentFactory

    partner = PartnerFactory()
    for _key, month, amount in _seasonal_series(partner.id):
        revenue(partner, month.year, month.month, int(amount))
    segment = SegmentFactory()
    Membership.objects.create(segment=segment, partner=partner, joined_at=dt.datetime.now(dt.UTC))
    today = dt.date(2026, 12, 10)

    partners = selectors.partner_forecasts(today=today).set_index("partner_id")
    segments = selectors.segment_forecasts(segment_ids=[segment.id], today=today)

    assert partners.loc[partner.id, "next_quarter"] == pytest.approx(4110)
    assert segments.loc[0, "next_quarter"] == pytest.approx(4110)
    assert segments.loc[0, "segment"] == segment.name
