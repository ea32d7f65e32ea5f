"""Every figure download of every page, opened: readable columns, rounded numbers, and what it says about itself.

Each page is opened as a partner (every tab of it in turn) on the built store;
every file its buttons would download is made as a click makes it
(``tests.downloads``) and read back: the CSV zip with the csv module and
pandas, the workbook with openpyxl, the SVG as XML text and the PNG with
Pillow.  The About rows are compared with the store (its source register and
data version) and with the page's own state (filters, weights), not with
hand-typed copies.
"""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile
from collections.abc import Iterator

import openpyxl
import pandas as pd
import pytest
from PIL import Image
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from rmo_data import about, constants, vocabulary
from rmo_data.charts import images
from rmo_data.store import data_version, queries
from tests.apptest import no_exception
from tests.downloads import Downloads, catch_downloads
from tests.signin import sign_in

# Pages with figure downloads, and the key of their tabs when only the open tab is built.
PAGES = {"pages/overview.py": None, "pages/prioritisation.py": "pr_tab", "pages/evidence.py": "ev_tab",
         "pages/material.py": "mp_tab", "pages/stakeholders.py": None, "pages/leverage_cards.py": None,
         "pages/sources.py": None}
INTERNAL = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")  # a snake_case name: not a heading a reader should see
KNOWN_HEADINGS = {c.heading for c in vocabulary.COLUMNS.values()} | {
    vocabulary.with_unit("criterion", s) for s in constants.CRITERION_SLUGS}


def _opened(app: AppTest, caught: Downloads, page: str, tab_key: str | None) -> Iterator[tuple[str, AppTest]]:
    """Open ``page`` (then each of its tabs); yields the tab's label with the page as drawn."""
    caught.clear()
    app.switch_page(page)
    no_exception(app.run())
    yield "", app
    if tab_key:
        for label in [t.label for t in app.tabs][1:]:
            caught.clear()
            app.session_state[tab_key] = label
            no_exception(app.run())
            yield label, app


@pytest.fixture(scope="module")
def every_download(built_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, bytes]]:
    """page → file name → bytes, for every download of every page and tab, plus the vega chart count."""
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("RMO_DATABASE_URL", built_url)
    from tests.apptest import ROOT
    monkeypatch.chdir(ROOT)
    caught = catch_downloads(monkeypatch)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    sign_in(app, "partner")
    files: dict[str, dict[str, bytes]] = {}
    try:
        for page, tab_key in PAGES.items():
            for label, at in _opened(app, caught, page, tab_key):
                where = f"{page} {label}".strip()
                charts = len(at.get("vega_lite_chart")) + len(at.get("plotly_chart"))
                made = {name: caught.file(name) for name in caught.names() if not name.endswith(".png")}
                # One PNG per view is enough to check the rasteriser; SVGs are checked for every chart.
                pngs = caught.names(".png")
                if pngs:
                    made[pngs[0]] = caught.file(pngs[0])
                made["#charts"] = str(charts).encode()
                made["#pngs"] = str(len(pngs)).encode()
                files[where] = made
    finally:
        monkeypatch.undo()
    # Kept for a person to open: the ranking's files and every image of the Prioritisation page.
    keep = ROOT / "test-output" / "downloads"
    keep.mkdir(parents=True, exist_ok=True)
    for where, made in files.items():
        if where.startswith("pages/prioritisation.py") or where == "pages/material.py":
            for name, data in made.items():
                if not name.startswith("#"):
                    (keep / name).write_bytes(data)
    return files


def _about(frame_bytes: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(frame_bytes), dtype=str, keep_default_na=False)


def test_every_view_offers_csv_zip_and_xlsx(every_download: dict[str, dict[str, bytes]]) -> None:
    assert set(every_download) >= set(PAGES)
    for where, files in every_download.items():
        zips = {n.removesuffix(".zip") for n in files if n.endswith(".zip")}
        books = {n.removesuffix(".xlsx") for n in files if n.endswith(".xlsx")}
        assert zips == books, (where, zips ^ books)
        # The Scenarios tab compares saved scenarios: the shared built store holds none.
        assert zips or where == "pages/prioritisation.py Scenarios", where


def test_every_chart_drawn_is_offered_as_png_and_svg(every_download: dict[str, dict[str, bytes]]) -> None:
    for where, files in every_download.items():
        svgs = [n for n in files if n.endswith(".svg")]
        assert int(files["#pngs"]) == len(svgs) == int(files["#charts"]), where


def test_csvs_have_readable_headings_and_rounded_numbers(every_download: dict[str, dict[str, bytes]]) -> None:
    for where, files in every_download.items():
        for name in (n for n in files if n.endswith(".zip")):
            archive = zipfile.ZipFile(io.BytesIO(files[name]))
            stem = name.removesuffix(".zip")
            assert sorted(archive.namelist()) == sorted([f"{stem}.csv", "about.csv"]), (where, name)
            header, *rows = list(csv.reader(io.StringIO(archive.read(f"{stem}.csv").decode("utf-8"))))
            internal = [h for h in header if INTERNAL.match(h)]
            assert not internal, (where, name, internal)
            assert len(set(header)) == len(header), (where, name, header)
            for i, heading in enumerate(header):
                cells = [r[i] for r in rows if r[i]]
                decimals = max((len(c.split(".")[1]) for c in cells if re.fullmatch(r"-?\d+\.\d+", c)), default=0)
                assert decimals <= 2, (where, name, heading, decimals)
                if heading in KNOWN_HEADINGS and ("%" in heading or "1 decimal" in heading):
                    assert decimals <= 1, (where, name, heading)


def test_about_files_name_sources_licences_filters_weights_version_date_and_link(
        every_download: dict[str, dict[str, bytes]], built_engine: Engine) -> None:
    register = queries.sources(engine=built_engine)
    licences = set(register["licence"].dropna()) | {about.NO_LICENCE, about.NOT_REGISTERED}
    counter, _changed = data_version.read(built_engine)[data_version.REFERENCE]
    for where, files in every_download.items():
        page = where.split(" ")[0]
        for name in (n for n in files if n.endswith(".zip")):
            rows = _about(zipfile.ZipFile(io.BytesIO(files[name])).read("about.csv"))
            view = dict(zip(rows.loc[rows["Section"] == "View", "Item"], rows.loc[rows["Section"] == "View", "Value"],
                            strict=True))
            assert view["Link that reproduces it"].startswith("/" + page.removeprefix("pages/").removesuffix(".py")), \
                (where, name, view["Link that reproduces it"])
            assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", view["Made"])
            assert view["Data version"].startswith(f"reference data version {counter}")
            assert "store built" in view["Data version"]
            sources = rows[rows["Section"] == "Sources"]
            assert len(sources) >= 1
            for value in sources["Value"]:
                assert any(f"licence: {lic}" in value for lic in licences), (where, name, value)
            assert (rows["Section"] == "Filters").any() and (rows["Section"] == "Weights").any()
            assert (rows["Section"] == "Columns").any()


def test_the_ranking_download_carries_the_weights_and_the_register(
        every_download: dict[str, dict[str, bytes]], built_engine: Engine) -> None:
    files = every_download["pages/prioritisation.py"]
    rows = _about(zipfile.ZipFile(io.BytesIO(files["ranking.zip"])).read("about.csv"))
    weights = rows[rows["Section"] == "Weights"].set_index("Item")["Value"]
    balanced = constants.WEIGHT_PRESETS["balanced"]
    total = sum(balanced.values())
    shown = []
    for slug, w in balanced.items():
        text = weights[vocabulary.name("criterion", slug)]
        head, share = text.split(" · ")
        assert head == f"{w} of {constants.WEIGHT_MAX}" and share.endswith(" % of the score"), text
        shown.append(float(share.removesuffix(" % of the score")))
        assert abs(shown[-1] - 100 * w / total) <= 0.1, text  # one decimal, off by at most its last digit
    assert round(sum(shown), 1) == 100.0, shown  # as written, the shares add up to 100 %
    # Every source the ranking names is found in the register, with the register's licence.
    register = queries.sources(engine=built_engine).set_index("title")
    sources = rows[rows["Section"] == "Sources"].set_index("Item")["Value"]
    found = [t for t in sources.index if t in register.index]
    assert found, sources
    for title in found:
        licence = register.at[title, "licence"]
        want = about.NO_LICENCE if pd.isna(licence) else licence
        assert f"licence: {want}" in sources[title]
    filters = rows[rows["Section"] == "Filters"].set_index("Item")["Value"]
    assert filters["Materials in view"] == "all (no filter)"
    # The heat map on the same page says the weights do not apply to it.
    heat = _about(zipfile.ZipFile(io.BytesIO(every_download["pages/prioritisation.py Salience"]
                                             ["salience-heat-map.zip"])).read("about.csv"))
    assert heat.loc[heat["Section"] == "Weights", "Value"].tolist() == [
        "The weights set on the page do not apply to this view."]


def test_ranking_csv_rounds_scores_and_shares(every_download: dict[str, dict[str, bytes]], built_engine: Engine) -> None:
    archive = zipfile.ZipFile(io.BytesIO(every_download["pages/prioritisation.py"]["ranking.zip"]))
    table = pd.read_csv(archive.open("ranking.csv"))
    assert vocabulary.column_heading("score") in table.columns and "score" not in table.columns
    scores = table[vocabulary.column_heading("score")]
    assert ((scores * 100).round(6) % 1 == 0).all()  # two decimals at most
    gaps = table[vocabulary.column_heading("gap_share")]
    assert gaps.between(0, 100).all() and ((gaps * 10).round(6) % 1 == 0).all()  # percent, one decimal


def test_workbooks_hold_the_table_and_an_about_sheet(every_download: dict[str, dict[str, bytes]]) -> None:
    for where, files in every_download.items():
        for name in (n for n in files if n.endswith(".xlsx")):
            book = openpyxl.load_workbook(io.BytesIO(files[name]))
            assert len(book.sheetnames) == 2 and book.sheetnames[1] == "About", (where, name, book.sheetnames)
            sheet = [[c.value for c in r] for r in book["About"].iter_rows()]
            assert sheet[0] == about.ABOUT_COLUMNS
            # The About sheet says what the zip's about.csv says (the "Made" minute aside).
            zipped = _about(zipfile.ZipFile(io.BytesIO(files[name.replace(".xlsx", ".zip")])).read("about.csv"))
            book_rows = pd.DataFrame(sheet[1:], columns=sheet[0]).fillna("")
            keep = zipped["Item"] != "Made"
            assert book_rows.loc[keep.values, "Value"].tolist() == zipped.loc[keep, "Value"].tolist(), (where, name)
            sections = set(book_rows["Section"])
            assert {"View", "Sources", "Filters", "Weights", "Columns"} <= sections
            data = [[c.value for c in r] for r in book.worksheets[0].iter_rows(max_row=1)][0]
            assert not [h for h in data if isinstance(h, str) and INTERNAL.match(h)], (where, name)


def test_chart_images_carry_title_source_and_provenance(every_download: dict[str, dict[str, bytes]]) -> None:
    for where, files in every_download.items():
        svgs = [n for n in files if n.endswith(".svg")]
        for name in svgs:
            text = files[name].decode("utf-8")
            assert text.lstrip().startswith("<svg"), (where, name)
            rows = _about(zipfile.ZipFile(io.BytesIO(files[name.replace(".svg", ".zip")])).read("about.csv"))
            title = rows.loc[rows["Item"] == "Title", "Value"].iloc[0]
            assert f">{html.escape(title, quote=False)}<" in text, (where, name, title)
            for needle in ("Source: ", "Data version:", "Link that reproduces it:", "Filters:", "Sources and licences:"):
                assert needle in text, (where, name, needle)
        pngs = [n for n in files if n.endswith(".png")]
        for name in pngs:
            svg_text = files[name.replace(".png", ".svg")].decode("utf-8")
            width, height = (float(v) for v in re.search(r'<svg[^>]*width="([\d.]+)"[^>]*height="([\d.]+)"',
                                                         svg_text).groups())
            picture = Image.open(io.BytesIO(files[name]))
            picture.verify()
            assert picture.size == (round(width * images.PNG_SCALE), round(height * images.PNG_SCALE)), (where, name)
