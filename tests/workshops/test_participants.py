"""Join codes, participant names, private tokens, what a participant entered, and who may close (pure)."""

from __future__ import annotations

import pytest

from rmo_data.workshops import participants


def test_codes_are_normalised_and_checked() -> None:
    assert participants.normalise_code(" k7p-x3m ") == "K7PX3M"
    assert participants.normalise_code(None) == ""
    assert participants.valid_code("K7PX3M") and not participants.valid_code("K7PX30")  # no 0
    assert not participants.valid_code("K7PX3")
    assert participants.valid_code(participants.new_code())
    assert participants.malformed_code_text("hello") == (
        "“hello” is not a join code: a code has 6 letters and digits, such as K7PX3M.")


def test_names_are_cleaned_and_compared_without_case_or_spacing() -> None:
    assert participants.clean_participant("  Ana   María ") == "Ana María"
    for bad, message in (("  ", "Give your name"), ("x" * 61, "too long"), (5, "must be text")):
        with pytest.raises(ValueError, match=message):
            participants.clean_participant(bad)
    assert participants.name_key(" ANA  maría") == "ana maría"
    assert participants.name_among("ana MARÍA", ["Ben", "Ana María"])
    assert not participants.name_among("Ana M.", ["Ben", "Ana María"])
    assert not participants.name_among("Ana", [])


def test_tokens_are_random_hashed_and_bounded() -> None:
    first, second = participants.new_token(), participants.new_token()
    assert first != second and len(first) >= 20
    assert participants.hash_token(first) == participants.hash_token(first)
    assert len(participants.hash_token(first)) == 64 and first not in participants.hash_token(first)
    assert participants.usable_token(f" {first} ") == first
    for bad in ("", "   ", "x" * (participants.TOKEN_MAX + 1), None, 12):
        assert participants.usable_token(bad) is None


def test_weights_and_flags_are_checked() -> None:
    assert participants.clean_weights({"severity": 3}, ["severity", "auto_share"]) == {
        "severity": 3, "auto_share": 0}
    with pytest.raises(ValueError, match="does not weigh: EU supply risk"):
        participants.clean_weights({"supply_risk": 5}, ["severity"])
    with pytest.raises(ValueError, match="All your weights are zero"):
        participants.clean_weights({"severity": 0}, ["severity"])
    participants.check_flags(["zinc"], ["zinc", "nickel"])  # fine: no error
    with pytest.raises(ValueError, match="Only materials of this workshop can be flagged, not tin"):
        participants.check_flags(["tin"], ["zinc", "nickel"])
    with pytest.raises(ValueError, match="Flag at most 3 materials, not 4"):
        participants.check_flags(list("abcd"), list("abcd"))


def test_who_may_close() -> None:
    mine = {"created_by": "pat.partner"}
    assert participants.may_close(mine, "pat.partner", "partner")
    assert participants.may_close(mine, "eve.editor", "editor")
    assert not participants.may_close(mine, "other.partner", "partner")
    assert not participants.may_close(mine, "pat.partner", "public")
    assert participants.may_close({"created_by": None}, "anyone", "partner")
