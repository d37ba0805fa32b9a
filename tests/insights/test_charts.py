import pandas as pd

from insights import charts


def _kpis():
    return pd.DataFrame(
        {
            "segment": ["Cloud", "Cloud"],
            "period": ["Jan 2026", "Feb 2026"],
            "revenue_12m_total": [1200.0, 1500.0],
            "members": [3, 4],
        }
    )


def test_money_kpi_lines_ask_for_a_money_axis():
    chart = charts.kpi_lines(_kpis(), column="revenue_12m_total", label="Revenue", money=True)

    assert chart["formats"] == {"y": "money"}
    assert chart["data"]["datasets"][0]["data"] == [1200.0, 1500.0]


def test_count_kpi_lines_keep_a_plain_axis():
    chart = charts.kpi_lines(_kpis(), column="members", label="Members")

    assert "formats" not in chart


def test_forecast_bars_are_money():
    forecasts = pd.DataFrame(
        {"segment": ["Cloud"], "last_quarter": [900.0], "next_quarter": [1100.0]}
    )

    assert charts.forecast_bars(forecasts)["formats"] == {"y": "money"}
