"""``components.feedback``'s one-shot messages: kept across a rerun, shown once, escaped unless told."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _script() -> None:
    # AppTest runs this function's source as the app script, so its imports live inside it.
    import streamlit as st

    from components import feedback

    def keep() -> None:  # a callback cannot draw: the message waits for the run it starts
        feedback.flash("Added *ZN-01* to the plan.", "success", "cards")
        feedback.flash("Signed in as pat_partner (Partner).", "error", "form", escape=False)

    st.button("Keep", key="keep", on_click=keep)
    feedback.show_flash("cards", icon=":material/playlist_add_check:", toast=True)
    feedback.show_flash("form")


def test_flash_is_shown_once_with_its_icon_toast_and_escaping() -> None:
    at = AppTest.from_function(_script).run()
    assert not at.success and not at.error and not at.toast
    at.button(key="keep").click().run()
    assert [s.value for s in at.success] == ["Added \\*ZN\\-01\\* to the plan\\."]
    assert at.success[0].icon == ":material/playlist_add_check:"
    assert [t.value for t in at.toast] == ["Added \\*ZN\\-01\\* to the plan\\."]
    assert [e.value for e in at.error] == ["Signed in as pat_partner (Partner)."]
    assert at.error[0].icon == ":material/error:"
    at.run()  # shown once: the next run has nothing to show
    assert not at.success and not at.error and not at.toast
