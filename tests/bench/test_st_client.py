"""bench/st_client.py against real Streamlit servers: the trivial app, and a form with a timed fragment.

Each test starts a server with ``scripts/live_server.py`` (the way the bench
does) and drives it only through the websocket protocol, so what the client
reads back (alerts, widgets, the fragment's ticks) is what the server drew.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from bench.st_client import StreamlitClient, WidgetMissing
from scripts.live_server import running_server

pytestmark = pytest.mark.slow  # each starts a Streamlit server

FORM_APP = '''
import streamlit as st

st.session_state.setdefault("w", 3)
st.session_state.setdefault("ticks", 0)

@st.fragment(run_every=0.3)
def tick():
    st.session_state.ticks += 1
    st.caption(f"tick {st.session_state.ticks} sees w={st.session_state.w}")

with st.form("f"):
    st.slider("Weight", 0, 10, key="w")
    pressed = st.form_submit_button("Go", key="go")
st.write(f"stored {st.session_state.w}")
if pressed:
    st.success(f"got {st.session_state.w}")
tick()
'''


def _markdown(client: StreamlitClient) -> list[str]:
    return [n.element.markdown.body for _p, n in client._elements() if n.element.WhichOneof("type") == "markdown"]


def test_the_trivial_app_takes_a_name_and_a_click(tmp_path: Path) -> None:
    async def journey(base: str) -> None:
        client = StreamlitClient(base)
        try:
            opened = await client.open()
            assert opened.status == "ok" and opened.seconds > 0
            assert [(w.key, w.kind) for w in client.widgets()] == [("name", "text_input"), ("send", "button")]
            assert (await client.input("name", "Ana")).status == "ok"
            assert client.alerts() == []  # no click yet
            clicked = await client.click("send")
            assert clicked.status == "ok" and clicked.errors == []
            assert client.alerts() == [("success", "Thank you, Ana.")]
            with pytest.raises(WidgetMissing, match=r"'nope'.*name:text_input, send:button"):
                client.widget("nope")
        finally:
            await client.close()

    with running_server("sqlite:///unused.sqlite", tmp_path / "server.log", script="bench/trivial_app.py") as srv:
        asyncio.run(journey(srv.base_url))


def test_a_form_sends_its_values_on_submit_and_a_fragment_ticks(tmp_path: Path) -> None:
    script = tmp_path / "form_app.py"
    script.write_text(FORM_APP)

    async def journey(base: str) -> None:
        client = StreamlitClient(base)
        try:
            await client.open()
            slider = client.widget("w", "slider")
            assert slider.form_id == "f" and client.widget("go", "button").proto.is_form_submitter
            client.set_value("w", 7)  # pending in the form: nothing is sent yet
            deadline = time.monotonic() + 30
            while client.fragment_runs < 2 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)  # the fragment's own timer sends its reruns meanwhile
            assert client.fragment_runs >= 2 and client.fragment_seconds
            ticks = [m for m in _markdown(client) if m.startswith("tick ")]
            assert ticks and ticks[-1].endswith("sees w=3")  # the ticks did not carry the pending value
            submitted = await client.click("go")
            assert submitted.status == "ok"
            assert client.alerts() == [("success", "got 7")]
            assert (await client.click("go")).status == "ok"  # the value stays; the trigger is one-shot
            assert "stored 7" in _markdown(client)
        finally:
            await client.close()

    with running_server("sqlite:///unused.sqlite", tmp_path / "server.log", script=str(script)) as srv:
        asyncio.run(journey(srv.base_url))
