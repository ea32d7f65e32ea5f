"""The pure parts of bench/clicks.py: which pages it opens, and the verdict it prints on the targets."""

from __future__ import annotations

import pytest

from bench import clicks
from rmo_data.access import roles


def test_every_partner_page_is_measured_at_its_real_address() -> None:
    pages = clicks.app_pages()
    titles = [title for _, title in pages]
    expected = [p.title for p in roles.pages_for(roles.PARTNER, clicks.ROOT) if p.path != "pages/sign_in.py"]
    assert titles == expected
    # The default page is served at "/", not at its file name (which shows "Page not found").
    default = next(p for p in roles.PAGES if p.default)
    assert ("", default.title) in pages
    assert (default.url_path, default.title) not in pages


def test_pages_can_be_chosen_by_file_name() -> None:
    assert clicks.app_pages(["overview", "prioritisation"]) == [("", "Overview"), ("prioritisation", "Prioritisation")]


def _row(name: str, wall: float, cpu: float, ratio: float = 1.0) -> dict[str, object]:
    return {"interaction": name, "wall_ms": wall, "cpu_s": cpu, "wall_ratio": ratio, "cpu_ratio": cpu / 0.05}


def test_verdict_names_the_worst_figure_against_each_target() -> None:
    clicks_rows = [_row("floor", 60, 0.05), _row("a", 240, 0.15), _row("b", 260, 0.1)]
    renders = [_row("floor", 1000, 0.07), _row("p", 1150, 0.1, 1.15), _row("q", 1300, 0.1, 1.3)]
    lines = clicks.verdict(clicks_rows, renders)
    assert lines[0].startswith("NOT met") and "b: 260 ms" in lines[0]
    assert lines[1].startswith("met") and "a: 0.150 s" in lines[1]  # 0.15 is within the target
    assert lines[2].startswith("NOT met") and "q: first render" not in lines[2] and "q: 1.30×" in lines[2]


def test_an_unknown_page_is_refused_before_anything_starts(capsys) -> None:  # noqa: ANN001
    with pytest.raises(SystemExit) as stopped:
        clicks.main(["--pages", "overview", "overveiw"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "no such page: overveiw" in err and "prioritisation" in err


def test_the_charts_reference_is_reported_but_never_counted_as_a_page() -> None:
    clicks_rows = [_row("floor", 60, 0.05), _row("a", 100, 0.05)]
    renders = [_row("floor: first render", 600, 0.05), _row(clicks.CHARTS_FLOOR, 900, 0.06, 1.5),
               _row("p: first render", 690, 0.1, 1.15)]
    lines = clicks.verdict(clicks_rows, renders)
    assert lines[2].startswith("met") and "p: first render: 1.15×" in lines[2]
    assert "two charts and a table takes 1.50×" in lines[3]
