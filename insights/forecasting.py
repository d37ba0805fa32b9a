"""Next-quarter revenue forecasts: a linear trend plus monthly seasonality, fitted by least
squares per series, for all series at once (pandas group-bys, no loop over series).

The model, for a series with at least two years of history:

    revenue(t) = trend x t + level[calendar month of t]

i.e. a straight line with one level per calendar month (ordinary least squares with month
dummies). The slope comes from the within-month variation (each month's values and times
minus their month's mean: the Frisch-Waugh-Lovell form of that regression), and
level[m] = mean revenue in month m - trend x mean t in month m. The seasonal index of a month
is its level minus the average level. A series with less history gets a plain straight line
(no seasonality); a single month forecasts itself. The back-test holds out the last three
months, fits on the rest and compares (MAE, MAPE).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from insights.periods import add_months

HORIZON_MONTHS = 3
SEASONAL_MIN_MONTHS = 24


def _month_index(month: pd.Series) -> pd.Series:
    dates = pd.to_datetime(month)
    return dates.dt.year * 12 + dates.dt.month - 1


def complete_series(history: pd.DataFrame, *, until: dt.date) -> pd.DataFrame:
    """Every month of each series from its first record up to (excluding) `until`, a month
    without a record counted as 0 revenue. Columns: key, t (months since year 0), revenue."""
    if history.empty:
        return pd.DataFrame(columns=["key", "t", "revenue"])
    frame = history.assign(t=_month_index(history["month"]))
    frame = frame.groupby(["key", "t"], as_index=False)["revenue"].sum()
    last = until.year * 12 + until.month - 2
    first = frame.groupby("key")["t"].min()
    span = np.arange(first.min(), last + 1)
    grid = pd.MultiIndex.from_product([first.index, span], names=["key", "t"]).to_frame(index=False)
    grid = grid[grid["t"] >= grid["key"].map(first)]
    full = grid.merge(frame, on=["key", "t"], how="left").fillna({"revenue": 0.0})
    return full


def fit(series: pd.DataFrame) -> pd.DataFrame:
    """The model of each series (key, t, revenue as complete_series gives): one row per key
    with months, trend (per month), intercept (of the straight line), is_seasonal, and
    level_0 … level_11 (by calendar month, January = 0) for seasonal series."""
    frame = series.assign(month_of_year=series["t"] % 12)
    by_key = frame.groupby("key")
    months = by_key["t"].transform("size")
    t_mean = by_key["t"].transform("mean")
    y_mean = by_key["revenue"].transform("mean")
    # The plain straight line.
    frame["tt"] = (frame["t"] - t_mean) ** 2
    frame["ty"] = (frame["t"] - t_mean) * (frame["revenue"] - y_mean)
    # The seasonal form: deviations from each calendar month's own means.
    by_month = frame.groupby(["key", "month_of_year"])
    t_within = frame["t"] - by_month["t"].transform("mean")
    y_within = frame["revenue"] - by_month["revenue"].transform("mean")
    frame["tt_within"] = t_within**2
    frame["ty_within"] = t_within * y_within
    sums = frame.groupby("key")[["tt", "ty", "tt_within", "ty_within", "revenue", "t"]].sum()
    models = pd.DataFrame(index=sums.index)
    models["months"] = months.groupby(frame["key"]).first()
    models["t_mean"] = t_mean.groupby(frame["key"]).first()
    models["y_mean"] = y_mean.groupby(frame["key"]).first()
    plain_trend = (sums["ty"] / sums["tt"].where(sums["tt"] > 0)).fillna(0.0)
    models["is_seasonal"] = (models["months"] >= SEASONAL_MIN_MONTHS) & (sums["tt_within"] > 0)
    seasonal_trend = sums["ty_within"] / sums["tt_within"].where(sums["tt_within"] > 0)
    models["trend"] = np.where(models["is_seasonal"], seasonal_trend, plain_trend)
    month_means = frame.groupby(["key", "month_of_year"])[["t", "revenue"]].mean().unstack()
    levels = month_means["revenue"] - month_means["t"].mul(models["trend"], axis=0)
    levels = levels.reindex(columns=range(12))
    for month in range(12):
        models[f"level_{month}"] = levels[month].where(models["is_seasonal"])
    models["intercept"] = np.where(
        models["is_seasonal"], np.nan, models["y_mean"] - models["trend"] * models["t_mean"]
    )
    return models


def predict(models: pd.DataFrame, *, t: np.ndarray) -> pd.DataFrame:
    """Each model's revenue at the month indexes `t` (a row per key and t)."""
    grid = pd.MultiIndex.from_product([models.index, t], names=["key", "t"]).to_frame(index=False)
    model = models.loc[grid["key"]].reset_index(drop=True)
    month_of_year = grid["t"] % 12
    levels = model[[f"level_{m}" for m in range(12)]].to_numpy()
    seasonal_level = levels[np.arange(len(grid)), month_of_year.to_numpy()]
    seasonal = model["trend"].to_numpy() * grid["t"].to_numpy() + seasonal_level
    straight = model["intercept"].to_numpy() + model["trend"].to_numpy() * grid["t"].to_numpy()
    grid["forecast"] = np.where(model["is_seasonal"].to_numpy(), seasonal, straight)
    # A month the seasonal fit has never seen falls back to the straight line.
    grid["forecast"] = grid["forecast"].fillna(
        pd.Series(
            model["y_mean"].to_numpy()
            + model["trend"].to_numpy() * (grid["t"].to_numpy() - model["t_mean"].to_numpy())
        )
    )
    return grid


def seasonal_indices(models: pd.DataFrame) -> pd.DataFrame:
    """Each seasonal model's months as deviations from its average level (Jan … Dec)."""
    levels = models[[f"level_{m}" for m in range(12)]]
    indices = levels.sub(levels.mean(axis=1), axis=0)
    indices.columns = [
        "Jan",
        "Feb",
        "Mar",
        "Apr",
        "May",
        "Jun",
        "Jul",
        "Aug",
        "Sep",
        "Oct",
        "Nov",
        "Dec",
    ]
    return indices


def forecast_next_quarter(history: pd.DataFrame, *, until: dt.date) -> pd.DataFrame:
    """For each series (key, month, revenue) of the months before `until`: the forecast of
    the three months from `until` and its sum, the trend per month, whether it is seasonal,
    the last quarter's actual revenue, and the back-test: the same model fitted without the
    last three months, its forecast of them, their MAE and MAPE (%)."""
    columns = [
        "key",
        "months",
        "is_seasonal",
        "trend",
        "last_quarter",
        "next_quarter",
        "month_1",
        "month_2",
        "month_3",
        "backtest_forecast",
        "backtest_mae",
        "backtest_mape_pct",
    ]
    series = complete_series(history, until=until)
    if series.empty:
        return pd.DataFrame(columns=columns)
    first_t = until.year * 12 + until.month - 1
    future = np.arange(first_t, first_t + HORIZON_MONTHS)
    models = fit(series)
    ahead = predict(models, t=future).pivot(index="key", columns="t", values="forecast")
    result = models[["months", "is_seasonal", "trend"]].copy()
    for number, t in enumerate(future, start=1):
        result[f"month_{number}"] = ahead[t]
    result["next_quarter"] = ahead.sum(axis=1)
    held_out = series[series["t"] >= first_t - HORIZON_MONTHS]
    result["last_quarter"] = held_out.groupby("key")["revenue"].sum()
    result = result.join(_backtest(series, first_t=first_t))
    result = result.reset_index()
    money = [
        "trend",
        "next_quarter",
        "month_1",
        "month_2",
        "month_3",
        "last_quarter",
        "backtest_forecast",
        "backtest_mae",
    ]
    result[money] = result[money].astype(float).round(2)
    result["backtest_mape_pct"] = result["backtest_mape_pct"].astype(float).round(2)
    return result[columns]


def _backtest(series: pd.DataFrame, *, first_t: int) -> pd.DataFrame:
    cut = first_t - HORIZON_MONTHS
    training = series[series["t"] < cut]
    actual = series[series["t"] >= cut]
    empty = pd.DataFrame(columns=["backtest_forecast", "backtest_mae", "backtest_mape_pct"])
    if training.empty:
        return empty
    # Only series with at least two months left to fit on get a back-test.
    sizes = training.groupby("key")["t"].size()
    training = training[training["key"].isin(sizes[sizes >= 2].index)]
    if training.empty:
        return empty
    models = fit(training)
    predicted = predict(models, t=np.arange(cut, first_t))
    compared = predicted.merge(actual, on=["key", "t"])
    compared["error"] = (compared["forecast"] - compared["revenue"]).abs()
    compared["pct"] = compared["error"] / compared["revenue"].where(compared["revenue"] != 0)
    by_key = compared.groupby("key")
    return pd.DataFrame(
        {
            "backtest_forecast": by_key["forecast"].sum(),
            "backtest_mae": by_key["error"].mean(),
            "backtest_mape_pct": by_key["pct"].mean() * 100,
        }
    )


def forecast_start(today: dt.date) -> dt.date:
    """The first month to forecast: the current one (the history is the complete months)."""
    return dt.date(today.year, today.month, 1)


def quarter_label(start: dt.date) -> str:
    """ "Dec 2026 - Feb 2027" for the three months from `start`."""
    return f"{start:%b %Y} - {add_months(start, HORIZON_MONTHS - 1):%b %Y}"
