"""The pure concentration arithmetic, checked against values worked out by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from rmo_data.analysis import metrics


def test_pure_helpers() -> None:
    assert metrics.hhi([100]) == 10_000
    assert metrics.hhi([]) == 0
    assert metrics.top_n_share([5, 40, 10, 30], 2) == 70
    assert metrics.wgi_risk_score([2.5] * 6) == 0
    assert metrics.wgi_risk_score([-2.5] * 6) == 10
    assert metrics.wgi_risk_score([0.0] * 5 + [None]) is None
    value, covered = metrics.governance_weighted_hhi({"A": 60, "B": 40}, {"A": 5.0, "B": None})
    assert math.isclose(value, 0.36 * 5) and covered == 60


def test_world_total_prefers_the_published_row_else_sums_the_others() -> None:
    assert metrics.world_total(["country", "world", "other"], [50.0, 100.0, 20.0]) == (100.0, "world total")
    # A world row without a figure does not count; the rest of the world does.
    assert metrics.world_total(["country", "world", "other"], [30.0, None, 60.0]) == (90.0, "sum of reported rows")
    assert metrics.world_total(["country", "other"], [float("nan"), 5.0]) == (5.0, "sum of reported rows")
    assert metrics.world_total(["country", "world"], [None, float("nan")]) == (None, None)
    assert metrics.world_total([], []) == (None, None)


def _year_rows() -> pd.DataFrame:
    return pd.DataFrame({"country_name": ["World total", "China", "Canada", "India", "Other countries"],
                         "iso3": [None, "CHN", "CAN", "IND", None],
                         "country_kind": ["world", "country", "country", "country", "other"],
                         "quantity": [100.0, 50.0, None, 20.0, 30.0]})


def test_country_table_keeps_withheld_countries_and_shares_the_world_total() -> None:
    table = metrics.country_table(_year_rows())
    assert table["country_name"].tolist() == ["China", "India", "Canada"]
    assert table["share_pct"].tolist()[:2] == [50.0, 20.0] and math.isnan(table["share_pct"].iloc[2])
    no_world = metrics.country_table(_year_rows().iloc[1:])
    assert no_world["share_pct"].iloc[0] == pytest.approx(50 / 100 * 100)


def test_country_table_without_any_figure_has_no_share() -> None:
    rows = _year_rows().assign(quantity=None)
    assert metrics.country_table(rows)["share_pct"].isna().all()


def test_country_shares_and_records_give_the_same_concentration() -> None:
    rows = _year_rows().assign(year=2024, source_id="s", source_title="S", is_estimate=False,
                               unit="kt", value_flag=None, edition="X")
    com = {"slug": "c", "name": "C", "unit": "kt"}
    from_rows = metrics.concentration_from_rows("m", "mining", com, rows)
    from_records, shares = metrics.concentration_and_shares("m", "mining", com,
                                                            metrics.records_by_year(rows)[2024])
    assert from_rows == from_records
    assert shares == {"CHN": 50.0, "IND": 20.0}


def test_wgi_scores_from_rows() -> None:
    rows = [("CHN", ind, -0.5) for ind in metrics.WGI_INDICATORS] + [("IND", "va", 0.0)]
    assert metrics.wgi_scores_from(rows) == {"CHN": 6.0, "IND": None}


def test_countries_listed_with_zero_production_are_not_producers() -> None:
    rows = pd.DataFrame({"country_name": ["World total", "A", "B", "C", "D"],
                         "iso3": [None, "AAA", "BBB", "CCC", "DDD"],
                         "country_kind": ["world", "country", "country", "country", "country"],
                         "year": [2024] * 5, "quantity": [100.0, 70.0, 30.0, 0.0, None],
                         "source_id": ["s"] * 5, "source_title": ["S"] * 5, "is_estimate": [False] * 5})
    com = {"slug": "c", "name": "C", "unit": "t"}
    conc = metrics.concentration_from_rows("m", "mining", com, rows)
    assert conc["n_countries"] == 2 and conc["withheld"] == ["D"]
    assert conc["hhi"] == 70 ** 2 + 30 ** 2  # a zero adds nothing to the index either
    fast = metrics.concentration_of_year("m", "mining", com, metrics.records_by_year(rows)[2024])
    assert fast["n_countries"] == 2
    assert metrics.producing_count([1.0, 0.0, None, float("nan"), 0.5]) == 2
