"""Who takes part in a workshop and how they are told apart: join codes, names, private tokens.

A workshop is opened with a six-character join code (``new_code``); the code
is the participants' credential.  A participant submits under a name
(``clean_participant``); two names are the same when they match without case
or surrounding and repeated spaces (``name_key``), and a name already taken is
refused (``NAME_TAKEN``).  The first submission draws a private token
(``new_token``); the store keeps only its SHA-256 (``hash_token``), and only
that token revises the submission, never the name.

A device's token is drawn when it first opens the join link and registered
with a number (``seq``); an anonymous workshop (``ANONYMOUS``) never asks for
a name and stores the label ``anonymous_label(seq)`` ("Participant 3")
instead.  A workshop weighs with sliders (``SLIDERS``) or pairwise
comparisons (``PAIRWISE``), may take at most ``capacity`` devices
(``FULL``), and is in one ``phase`` at a time (open or closed, round 1 or 2,
result hidden or revealed), which open pages poll.

``clean_weights`` and ``check_flags`` check what a participant entered;
``may_close`` says who may run and close a workshop.  Pure: no store, no streamlit.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rmo_data import constants
from rmo_data.access import roles
from rmo_data.store.writes import whole_weights

# Join codes: no 0/O and no 1/I, so a code read off a projector cannot be mistyped.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 6
PARTICIPANT_MAX = 60
FLAG_MAX = 3
TOKEN_BYTES = 16  # a participant's private token: 128 random bits
TOKEN_MAX = 200  # longest token text looked up (a crafted link may carry anything)
CAPACITY_MAX = 500  # the most devices a workshop may be set to take
NAMED, ANONYMOUS = "named", "anonymous"
MODES = (NAMED, ANONYMOUS)
SLIDERS, PAIRWISE = "sliders", "pairwise"
METHODS = (SLIDERS, PAIRWISE)
ROUNDS_MAX = 2
FULL = ("This workshop is full: every one of its {capacity} places is taken. Ask your facilitator to "
        "raise the limit, or to share the result with you afterwards.")
NAME_TAKEN = ("That name is taken in this workshop; add an initial (for example “Ana K.”) so your "
              "weights can be told apart.")


# --- join codes --------------------------------------------------------------------------------

def normalise_code(code: Any) -> str:
    """A join code as typed (any case, spaces or dashes) in its stored form; "" when empty."""
    if not isinstance(code, str):
        return ""
    return re.sub(r"[\s\-]", "", code).upper()


def valid_code(code: str) -> bool:
    """True when ``code`` has the form of a join code (it may still be unknown)."""
    return len(code) == CODE_LENGTH and all(ch in CODE_ALPHABET for ch in code)


def new_code() -> str:
    """A random join code from ``CODE_ALPHABET`` (about a billion possibilities)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def malformed_code_text(code: str) -> str:
    """The refusal for text that is not a join code at all."""
    return f"“{code}” is not a join code: a code has {CODE_LENGTH} letters and digits, such as K7PX3M."


# --- modes, methods, phases --------------------------------------------------------------------

def anonymous_label(seq: int) -> str:
    """What an anonymous workshop stores and shows for its ``seq``-th device: "Participant 3"."""
    return f"Participant {seq}"


def check_setup(mode: Any, method: Any, capacity: Any) -> int | None:
    """Check a new workshop's mode, method and capacity; the capacity as an int, or None for no limit.

    Raises
    ------
    ValueError
        An unknown mode or method, or a capacity that is not a whole number from 2 to ``CAPACITY_MAX``.
    """
    if mode not in MODES:
        raise ValueError(f"Unknown mode {mode!r}: choose named or anonymous.")
    if method not in METHODS:
        raise ValueError(f"Unknown weighing method {method!r}: choose sliders or pairwise.")
    if capacity is None or capacity == "":
        return None
    if isinstance(capacity, bool) or not isinstance(capacity, int | float) or capacity != int(capacity) \
            or not 2 <= int(capacity) <= CAPACITY_MAX:
        raise ValueError(f"The number of places must be a whole number from 2 to {CAPACITY_MAX}, "
                         f"not {capacity!r}.")
    return int(capacity)


def phase(status: str, round_no: int, revealed: bool) -> str:
    """A workshop's phase as one short text that changes whenever an open page must redraw.

    For example "open · round 1 · hidden", "open · round 2 · revealed", "closed".
    """
    if status != "open":
        return status
    return f"{status} · round {round_no} · {'revealed' if revealed else 'hidden'}"


# --- names -------------------------------------------------------------------------------------

def clean_participant(name: Any) -> str:
    """A participant name stripped, inner runs of spaces collapsed; 1-``PARTICIPANT_MAX`` characters.

    Raises
    ------
    ValueError
        When the name is empty, too long or not text.
    """
    if not isinstance(name, str):
        raise ValueError("Your name must be text.")
    text = re.sub(r"\s+", " ", name).strip()
    if not text:
        raise ValueError("Give your name (1 to 60 characters) so your weights can be told apart.")
    if len(text) > PARTICIPANT_MAX:
        raise ValueError(f"The name is too long: at most {PARTICIPANT_MAX} characters, got {len(text)}.")
    # Control and format characters (a NUL, a right-to-left override) would garble the record and tables.
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs") for ch in text):
        raise ValueError("The name holds characters that cannot be shown (control or formatting "
                         "characters): type it again with letters, digits and punctuation only.")
    return text


def name_key(name: str) -> str:
    """The form in which two participant names are compared: cleaned and case-folded."""
    return re.sub(r"\s+", " ", name).strip().casefold()


def name_among(name: str, names: Iterable[str]) -> bool:
    """True when ``name`` matches one of ``names`` by ``name_key`` (compared in Python: SQL lower()
    folds only ASCII on SQLite)."""
    wanted = name_key(name)
    return any(name_key(other) == wanted for other in names)


# --- private tokens ----------------------------------------------------------------------------

def new_token() -> str:
    """A participant's private token: random, URL-safe, about 22 characters."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """What the store keeps of a token: its SHA-256 in hex (the token itself is never stored)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def usable_token(token: Any) -> str | None:
    """``token`` when it is non-empty text of a sane length, else None (it can own nothing)."""
    if isinstance(token, str) and 0 < len(token.strip()) <= TOKEN_MAX:
        return token.strip()
    return None


# --- what a participant entered ----------------------------------------------------------------

def clean_weights(weights: Mapping[str, Any], criteria: Sequence[str]) -> dict[str, int]:  # sliders
    """Whole numbers 0-``WEIGHT_MAX`` for exactly the workshop's criteria; at least one above 0.

    Raises
    ------
    ValueError
        A criterion the workshop does not weigh, a weight out of range, or all zero.
    """
    unknown = sorted(set(weights) - set(criteria))
    if unknown:
        labels = ", ".join(constants.CRITERION_LABELS.get(u, str(u)) for u in unknown)
        raise ValueError(f"This workshop does not weigh: {labels}.")
    out = whole_weights(weights, criteria)
    if not any(out.values()):
        raise ValueError("All your weights are zero: give at least one criterion a weight above 0.")
    return out


def check_flags(flags: Sequence[str], materials: Sequence[str]) -> None:
    """Check the flagged materials: the workshop's own, at most ``FLAG_MAX`` (ValueError otherwise)."""
    bad = [m for m in flags if m not in materials]
    if bad:
        raise ValueError(f"Only materials of this workshop can be flagged, not {', '.join(map(str, bad))}.")
    if len(flags) > FLAG_MAX:
        raise ValueError(f"Flag at most {FLAG_MAX} materials, not {len(flags)}.")


# --- who closes --------------------------------------------------------------------------------

def may_close(workshop: Mapping[str, Any], user: str, role: str) -> bool:
    """True when ``user`` with ``role`` may close ``workshop``.

    An editor may close any workshop; a partner the ones they created.  A
    workshop with no recorded creator (made before creators were recorded, or
    by a script with no one signed in) may be closed by any partner.
    """
    if roles.allows(role, roles.EDITOR):
        return True
    if not roles.allows(role, roles.PARTNER):
        return False
    creator = workshop.get("created_by")
    return not creator or creator == user
