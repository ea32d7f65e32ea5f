"""The downloads of a closed workshop, opened: the record's workbook with its About sheet, and every chart's images.

A workshop is created, answered and closed on a private copy of the built
store; the closed view is opened as a partner in AppTest and every file its
buttons would download is made as a click makes it (``tests.downloads``).  The
About rows are compared with the record itself and with the store's source
register, not with hand-typed copies.
"""

from __future__ import annotations

import html
import io
import json
import re
import zipfile

import openpyxl
import pandas as pd
import pytest
from PIL import Image
from sqlalchemy import Engine

from rmo_data import about, vocabulary
from rmo_data.store import queries
from rmo_data.workshops import lifecycle, records
from tests.apptest import ROOT, app_for, no_exception, open_as
from tests.downloads import catch_downloads

PAGE = "pages/workshop.py"
MATS = ["nickel", "graphite", "ree", "zinc", "tantalum"]
CRITS = ["auto_share", "processing_hhi", "severity", "social_breadth"]
ANA = {"auto_share": 2, "processing_hhi": 9, "severity": 3, "social_breadth": 1}
BEN = {"auto_share": 8, "processing_hhi": 1, "severity": 10, "social_breadth": 6}


def _closed(own_url: str, own_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> tuple[str, dict, dict[str, bytes]]:
    """A closed workshop of two participants, its record, and every file of its closed view by name."""
    _, code = lifecycle.create_workshop("Board day", MATS, CRITS, engine=own_engine)
    lifecycle.submit_weights(code, "Ana", ANA, ["ree"], engine=own_engine)
    lifecycle.submit_weights(code, "Ben", BEN, engine=own_engine)
    record = lifecycle.close_workshop(code, engine=own_engine)
    at = app_for(own_url, monkeypatch)
    caught = catch_downloads(monkeypatch)
    no_exception(at.run())
    open_as(at, PAGE, ws_mode="closed", ws_closed=code)
    files = {name: caught.file(name) for name in caught.names()}
    keep = ROOT / "test-output" / "workshop-downloads"  # for a person to open
    keep.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (keep / name).write_bytes(data)
    return code, record, files


def test_the_record_workbook_has_an_about_sheet_from_the_record_and_the_register(
        own_url: str, own_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    code, record, files = _closed(own_url, own_engine, monkeypatch)
    result = records.record_result(record)
    book = openpyxl.load_workbook(io.BytesIO(files[f"workshop-{code}-record.xlsx"]))
    assert book.sheetnames[0] == "Workshop" and book.sheetnames[-1] == "About"
    sheet = [[c.value for c in r] for r in book["About"].iter_rows()]
    assert sheet[0] == about.ABOUT_COLUMNS
    rows = pd.DataFrame(sheet[1:], columns=sheet[0]).fillna("")
    view = dict(zip(rows.loc[rows["Section"] == "View", "Item"], rows.loc[rows["Section"] == "View", "Value"],
                    strict=True))
    assert view["Title"] == f"Workshop record Board day ({code})"
    # The link opens this closed workshop again.
    assert view["Link that reproduces it"] == f"/workshop?ws_mode=closed&ws_closed={code}"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", view["Made"])
    # The data version is the one frozen in the record, not the store's counter.
    version = record["data_version"]
    assert version["criteria_sha256"] in view["Data version"]
    assert f"build format {version['build_version']}" in view["Data version"]
    assert view["Data version"].startswith("frozen at closing")
    # Every source behind the criteria, found in the register with its year and licence (a source named
    # two ways, with and without its edition, is one register entry).
    register = queries.sources(engine=own_engine)
    sources = rows[rows["Section"] == "Sources"].set_index("Item")["Value"]
    assert records.SUBMISSIONS_SOURCE in sources.index
    found = about.register_rows(result.sources, register)
    assert result.sources and (found["Licence"] != about.NOT_REGISTERED).all(), found
    for _, src in found.iterrows():
        entry = register[register["title"] == src["Source"]].iloc[0]
        want = about.NO_LICENCE if pd.isna(entry["licence"]) else entry["licence"]
        assert f"licence: {want}" in sources[src["Source"]], src["Source"]
        if not pd.isna(entry["year"]):
            assert f"year {int(entry['year'])}" in sources[src["Source"]]
    # The workshop's materials, criteria and group weights.
    filters = rows[rows["Section"] == "Filters"].set_index("Item")["Value"]
    assert filters["Materials"] == "; ".join(result.names[m] for m in result.materials)
    assert filters["Criteria"] == "; ".join(vocabulary.name("criterion", c) for c in CRITS)
    weights = rows[rows["Section"] == "Weights"].set_index("Item")["Value"]
    assert list(weights.index) == [vocabulary.name("criterion", c) for c in result.group_weights]
    shown = []
    for slug, share in result.group_weights.items():
        text = weights[vocabulary.name("criterion", slug)]
        assert text.split(" % ")[1].startswith("of the score"), text
        shown.append(float(text.split(" % ")[0]))
        assert abs(shown[-1] - 100 * share) <= 0.1, text
    assert round(sum(shown), 1) == 100.0, shown  # as written, the group's shares add up to 100 %
    assert (rows["Section"] == "Columns").any()
    # Numbers rounded as every download's are; the JSON keeps them exactly.
    ranking = pd.read_excel(io.BytesIO(files[f"workshop-{code}-record.xlsx"]), sheet_name="Group ranking")
    scores = ranking["Group score (0–1)"]
    assert ((scores * 100).round(6) % 1 == 0).all()
    spread = pd.read_excel(io.BytesIO(files[f"workshop-{code}-record.xlsx"]), sheet_name="Criterion spread")
    assert ((spread["Mean share (%)"] * 10).round(6) % 1 == 0).all()
    assert json.loads(files[f"workshop-{code}-record.json"]) == record


def test_every_workshop_chart_is_offered_as_png_and_svg_with_its_provenance(
        own_url: str, own_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    code, _record, files = _closed(own_url, own_engine, monkeypatch)
    stems = {n.removesuffix(".svg") for n in files if n.endswith(".svg")}
    # The four charts of a closed workshop: ranking, model default, weight spread, rank spread.
    assert stems == {f"group-ranking-{code.lower()}", f"group-and-model-default-{code.lower()}",
                     f"weight-spread-{code.lower()}", f"participant-rankings-{code.lower()}"}, stems
    for stem in stems:
        assert f"{stem}.png" in files and f"{stem}.zip" in files
        rows = pd.read_csv(zipfile.ZipFile(io.BytesIO(files[f"{stem}.zip"])).open("about.csv"), dtype=str,
                           keep_default_na=False)
        title = rows.loc[rows["Item"] == "Title", "Value"].iloc[0]
        text = files[f"{stem}.svg"].decode("utf-8")
        assert f">{html.escape(title, quote=False)}<" in text, stem
        for needle in ("Source: ", "Data version:", "Link that reproduces it:", "Sources and licences:"):
            assert needle in text, (stem, needle)
        picture = Image.open(io.BytesIO(files[f"{stem}.png"]))
        picture.verify()
        assert picture.size[0] >= 1200, (stem, picture.size)


def _facilitating(own_url: str, own_engine: Engine, monkeypatch: pytest.MonkeyPatch, name: str,
                  **state: object):  # noqa: ANN202
    """The facilitator's view of an open workshop ``name`` with Ana's and Ben's answers in."""
    _, code = lifecycle.create_workshop(name, MATS, CRITS, engine=own_engine)
    lifecycle.submit_weights(code, "Ana", ANA, engine=own_engine)
    lifecycle.submit_weights(code, "Ben", BEN, engine=own_engine)
    at = app_for(own_url, monkeypatch)
    caught = catch_downloads(monkeypatch)
    no_exception(at.run())
    open_as(at, PAGE, ws_mode="run", ws=code, **state)
    return code, at, caught


def _live_profiles(own_url: str, own_engine: Engine, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN202
    """The facilitator's live view with the weight profiles (Plotly) shown, paused: the live view
    offers its downloads only then (below)."""
    return _facilitating(own_url, own_engine, monkeypatch, "Profiles day", ws_live_detail="profiles",
                         ws_live_paused=True)


def test_the_refreshing_live_view_offers_no_download_and_the_paused_one_holds_its_answers(
        own_url: str, own_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """A button redrawn every 5 seconds got a new file id each time: a click during a redraw failed."""
    code, at, caught = _facilitating(own_url, own_engine, monkeypatch, "Pause day")
    stem = f"group-ranking-{code.lower()}"
    assert not [n for n in caught.names() if n.startswith(stem)]
    assert any("Pause live updates to download" in c.value for c in at.caption)
    at.toggle(key="ws_live_paused").set_value(True)
    no_exception(at.run())
    assert {f"{stem}.zip", f"{stem}.xlsx", f"{stem}.png", f"{stem}.svg"} <= set(caught.names())
    assert any(c.value.startswith("Paused at ") for c in at.caption)
    # An answer sent while paused is not in the held result (nor in its download) until live again.
    lifecycle.submit_weights(code, "Cem", ANA, engine=own_engine)
    no_exception(at.run())
    def counted(n: int) -> bool:  # the ranking's source line names the answers it rests on
        return any(f"{n} participant(s)" in c.value for c in at.caption)

    assert counted(2) and not counted(3)
    ranking = pd.read_csv(zipfile.ZipFile(io.BytesIO(caught.file(f"{stem}.zip"))).open(f"{stem}.csv"))
    assert len(ranking) == len(MATS)
    at.toggle(key="ws_live_paused").set_value(False)
    no_exception(at.run())
    assert any("Refreshes every" in c.value for c in at.caption) and counted(3)


def test_the_weight_profiles_plotly_chart_is_saved_as_png_and_svg_with_its_provenance(
        own_url: str, own_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    code, at, caught = _live_profiles(own_url, own_engine, monkeypatch)
    assert at.get("plotly_chart"), "the profiles were not drawn"
    stem = f"weight-profiles-{code.lower()}"
    assert {f"{stem}.zip", f"{stem}.xlsx", f"{stem}.png", f"{stem}.svg"} <= set(caught.names())
    # The table behind it: one row per participant, each criterion's share of the score.
    table = pd.read_csv(zipfile.ZipFile(io.BytesIO(caught.file(f"{stem}.zip"))).open(f"{stem}.csv"))
    assert table["Participant"].tolist() == ["Ana", "Ben"]
    assert table.drop(columns="Participant").sum(axis=1).round(0).tolist() == [100, 100]
    svg = caught.file(f"{stem}.svg").decode("utf-8")
    assert svg.lstrip().startswith("<svg") or svg.lstrip().startswith("<?xml")
    assert f"Weight profiles {code}" in svg
    for needle in ("Source: ", "Data version:", "Link that reproduces it:", "Sources and licences:", "Filters:"):
        assert needle in svg, needle
    picture = Image.open(io.BytesIO(caught.file(f"{stem}.png")))
    picture.verify()
    assert picture.size[0] == 2 * 900  # PNG_SCALE times the image width
    (ROOT / "test-output" / "workshop-downloads").mkdir(parents=True, exist_ok=True)
    (ROOT / "test-output" / "workshop-downloads" / f"{stem}.png").write_bytes(caught.file(f"{stem}.png"))


def test_without_a_browser_for_plotly_the_page_says_so_instead_of_offering_images(
        own_url: str, own_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from rmo_data.charts import plotly_images

    monkeypatch.setattr(plotly_images, "missing", lambda: "no Chrome or Chromium is installed on this server")
    code, at, caught = _live_profiles(own_url, own_engine, monkeypatch)
    stem = f"weight-profiles-{code.lower()}"
    assert f"{stem}.zip" in caught.names() and f"{stem}.png" not in caught.names()
    said = [c.value for c in at.caption if "cannot be saved as PNG or SVG here" in c.value]
    assert said == ["This chart cannot be saved as PNG or SVG here: no Chrome or Chromium is installed on this "
                    "server. Its data are in the CSV and XLSX."]
