"""The room benchmark's own arithmetic and files: lost answers, projector delays, assets, nginx, profiles."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bench import room, room_profile, room_static


def test_a_confirmed_answer_missing_or_older_in_the_store_is_lost() -> None:
    people = [room.Participant("A", confirmed={"x": 1, "y": 2}), room.Participant("B", confirmed={"x": 5}),
              room.Participant("C", confirmed={"x": 3}), room.Participant("D"),  # D was never confirmed
              # E's revision timed out: the store may hold it or the confirmed answer, not another.
              room.Participant("E", confirmed={"x": 1}, attempted={"x": 2}),
              room.Participant("F", confirmed={"x": 1}, attempted={"x": 2})]
    stored = {"A": {"x": 1, "y": 2}, "B": {"x": 4}, "E": {"x": 2}, "F": {"x": 9}}
    assert room.lost(people, stored) == ["B: stored {'x': 4}, confirmed {'x': 5}", "C: not stored",
                                         "F: stored {'x': 9}, confirmed {'x': 1}"]


def test_each_count_is_timed_from_its_own_write_to_its_first_frame() -> None:
    firsts = [("A", 100.0), ("B", 101.0), ("Other", 101.5), ("C", 102.0)]
    log = [{"value": "0", "frame": 99_000}, {"value": "1", "frame": 100_400},
           {"value": "3", "frame": 103_500}]  # B and C arrived in one refresh
    delays, never = room.visible_delays(firsts, log, {"A", "B", "C"})
    assert delays == pytest.approx([0.4, 2.5, 1.5]) and never == 0
    delays, never = room.visible_delays(firsts + [("D", 104.0)], log, {"A", "B", "C", "D"})
    assert never == 1  # a fourth count was never shown


def test_percentile_is_nearest_rank() -> None:
    assert room.percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert room.percentile([float(i) for i in range(1, 21)], 95) == 19.0
    assert room.percentile([], 95) is None


def test_a_first_visit_fetches_scripts_styles_preloads_and_icons_only() -> None:
    html = """<html><head><link rel="shortcut icon" href="./favicon.png" />
    <link rel="preload" href="./static/media/font.woff2" as="font" />
    <link rel="service-desc" href="./_stcore/agent/openapi.json" />
    <script type="module" src="./static/js/index.abc.js"></script>
    <link rel="modulepreload" href="./static/js/react.def.js">
    <link rel="modulepreload" href="./static/js/react.def.js">
    <link rel="stylesheet" href="./static/css/index.css"><script>inline()</script>
    <script src="https://cdn.example/x.js"></script></head></html>"""
    assert room_static.asset_paths(html) == ["/favicon.png", "/static/media/font.woff2", "/static/js/index.abc.js",
                                             "/static/js/react.def.js", "/static/css/index.css"]


def test_the_nginx_site_is_rendered_for_the_bench_and_refuses_a_changed_file(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    text = room_static.render_site(8600, 9100, tmp_path / "www")
    assert "listen 127.0.0.1:9100;" in text and "server 127.0.0.1:8600;" in text
    assert f"root {tmp_path / 'www'};" in text and "listen 80;" not in text
    assert "proxy_set_header Upgrade $http_upgrade;" in text and "gzip_static on;" in text
    changed = tmp_path / "nginx.conf"
    changed.write_text(room_static.NGINX_CONF.read_text().replace("listen 80;", "listen 8080;"))
    monkeypatch.setattr(room_static, "NGINX_CONF", changed)
    with pytest.raises(RuntimeError, match="no longer says 'listen 80;'"):
        room_static.render_site(1, 2, tmp_path)


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed (apt-get install nginx)")
def test_nginx_accepts_the_site(tmp_path: Path) -> None:
    (tmp_path / "site.conf").write_text(room_static.render_site(8600, 9100, tmp_path))
    (tmp_path / "nginx.conf").write_text(f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;\n"
                                         "events {}\nhttp { include /etc/nginx/mime.types; "
                                         f"include {tmp_path}/site.conf; }}\n")
    done = subprocess.run(["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_a_profile_is_summed_per_function_package_and_line(tmp_path: Path) -> None:
    raw = tmp_path / "raw.txt"
    raw.write_text(
        "_bootstrap (threading.py:1002);_run_script (streamlit/runtime/scriptrunner/script_runner.py:993);"
        "<module> (pages/workshop.py:95);focused_view (components/workshop_participant.py:250);"
        "execute (sqlalchemy/engine/base.py:1400) 3\n"
        "_bootstrap (threading.py:1002);_on_script_finished (streamlit/runtime/scriptrunner/script_runner.py:1055) 6\n"
        "select (selectors.py:468) 1\n")
    summary = room_profile.summarise(raw)
    assert summary.samples == 10
    inclusive = dict(summary.inclusive)
    assert inclusive["focused_view (components/workshop_participant.py)"] == pytest.approx(0.3)
    assert inclusive["<module> (pages/workshop.py)"] == pytest.approx(0.3)
    assert dict(summary.by_package) == pytest.approx({"script runner": 0.6, "SQLAlchemy": 0.3,
                                                      "other (stdlib, C)": 0.1})
    assert summary.hot_lines[0][1] == pytest.approx(0.6)
