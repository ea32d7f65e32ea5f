"""Prioritisation's "Leave gaps out" lives in the address like the other inputs (``components.state``).

A link with ``?pr_leave_gaps=1`` opens the page with the toggle on and the
ranking made without gaps; the ranking's download then carries it in its
"link that reproduces the view"; a bad value in a link is ignored with a plain
message, never a traceback.  AppTest on the session's built store.
"""

from __future__ import annotations

import io
import zipfile

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from components import state
from tests.apptest import no_exception, open_as
from tests.downloads import catch_downloads

PAGE = "pages/prioritisation.py"


def _about(at_files: dict[str, bytes], name: str) -> pd.DataFrame:
    archive = zipfile.ZipFile(io.BytesIO(at_files[name]))
    return pd.read_csv(archive.open("about.csv"), dtype=str, keep_default_na=False)


def test_a_link_with_leave_gaps_out_opens_the_page_with_it_and_the_download_carries_it(
        app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    caught = catch_downloads(monkeypatch)
    app.query_params["pr_leave_gaps"] = "1"
    at = open_as(app, PAGE)
    assert at.session_state["pr_leave_gaps"] is True
    assert at.toggle(key="pr_leave_gaps").value is True
    assert at.query_params["pr_leave_gaps"] == ["1"] or at.query_params["pr_leave_gaps"] == "1"
    rows = _about({n: caught.file(n) for n in caught.names(".zip")}, "ranking.zip")
    view = rows[rows["Section"] == "View"].set_index("Item")["Value"]
    assert "pr_leave_gaps=1" in view["Link that reproduces it"]
    gaps = rows[(rows["Section"] == "Filters") & (rows["Item"] == "Gaps")]["Value"].tolist()
    assert gaps == ["left out (each material scored on the criteria recorded for it)"]
    # Switched off, the address and the download's link drop it again.
    caught.clear()
    at.toggle(key="pr_leave_gaps").set_value(False)
    no_exception(at.run())
    assert "pr_leave_gaps" not in at.query_params
    rows = _about({n: caught.file(n) for n in caught.names(".zip")}, "ranking.zip")
    assert "pr_leave_gaps" not in rows.set_index("Item").at["Link that reproduces it", "Value"]


def test_the_ranking_made_from_the_link_leaves_the_gaps_out(app: AppTest) -> None:
    app.query_params["pr_leave_gaps"] = "yes"
    at = open_as(app, PAGE)
    with_link = next(df.value for df in at.dataframe if "score" in getattr(df.value, "columns", []))
    at.toggle(key="pr_leave_gaps").set_value(False)
    no_exception(at.run())
    imputed = next(df.value for df in at.dataframe if "score" in getattr(df.value, "columns", []))
    # The same materials, scored another way: at least one score differs when gaps are left out.
    assert set(with_link.index) == set(imputed.index)
    assert not with_link["score"].round(6).equals(imputed["score"].round(6))


@pytest.mark.parametrize("raw", ["maybe", "2", "<b>on</b>"])
def test_a_bad_leave_gaps_value_in_a_link_is_ignored_with_a_plain_message(app: AppTest, raw: str) -> None:
    app.query_params["pr_leave_gaps"] = raw
    no_exception(app.run())  # the link's first page says what it ignored
    said = [w.value for w in app.warning if w.value.startswith("Ignored unknown")]
    assert said and said[0].startswith("Ignored unknown “Leave gaps out” setting in the link: "), said
    assert "<b>" not in said[0]  # link text is escaped
    at = open_as(app, PAGE)
    assert at.session_state["pr_leave_gaps"] is False and at.toggle(key="pr_leave_gaps").value is False


def test_the_setting_round_trips_through_the_address() -> None:
    param = state.PARAMS["pr_leave_gaps"]
    assert state.url_params({"pr_leave_gaps": True}) == {"pr_leave_gaps": "1"}
    assert state.url_params({"pr_leave_gaps": False}) == {}  # the default stays out of links
    for word in ("1", "true", "On", "YES"):
        assert state._parse(param, [word]) == (True, [])
    for word in ("0", "false", "off", "no"):
        assert state._parse(param, [word]) == (False, [])
