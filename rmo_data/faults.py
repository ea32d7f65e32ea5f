"""Plain-words names for the ways a database or file write can fail.

Pages and the command line tell users *what* failed and that nothing was lost;
this module turns an exception from SQLAlchemy, a database driver or the
operating system into one of a few kinds and a sentence without paths,
passwords or code.  Nothing here imports streamlit.
"""

from __future__ import annotations

import errno
from typing import Literal

from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

FaultKind = Literal["busy", "read_only", "disk_full", "io", "unreachable", "refused", "damaged", "other"]

# Exceptions a write path catches and reports as a fault of the store, not a bug.
WRITE_ERRORS: tuple[type[BaseException], ...] = (SQLAlchemyError, OSError)

_SENTENCES: dict[FaultKind, str] = {
    "busy": "the data store is busy with another change; wait a few seconds and try again",
    "read_only": "the data store is read-only on this server, so nothing can be saved",
    "disk_full": "the server's disk is full",
    "io": "the server could not read or write the store's file (a full disk or a failing drive)",
    "unreachable": "the database server cannot be reached or refused the app's connection",
    "refused": ("the database server turned the app's sign-in down: the user name or password in the "
                "database address is wrong, or that user may not connect"),
    "damaged": "the data store file cannot be read (it may be damaged)",
    "other": "the data store refused the change",
}


def _message(err: BaseException) -> str:
    inner = getattr(err, "orig", None) or err
    return str(inner).lower()


def classify(err: BaseException) -> FaultKind:
    """Say which kind of fault ``err`` is (``other`` when it is none of the known ones)."""
    inner = getattr(err, "orig", None) or err
    if isinstance(inner, OSError) and not isinstance(inner, ConnectionError):
        if inner.errno in {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}:
            return "disk_full"
        if inner.errno in {errno.EROFS, errno.EACCES, errno.EPERM}:
            return "read_only"
    if isinstance(inner, ConnectionError):
        return "unreachable"
    text = _message(err)
    if "database is locked" in text or "database table is locked" in text or "busy" in text:
        return "busy"
    if "readonly" in text or "read-only" in text or "read only" in text or "permission denied" in text:
        return "read_only"
    if "disk is full" in text or "no space left" in text or "database or disk is full" in text:
        return "disk_full"
    if "disk i/o error" in text:
        return "io"
    if "malformed" in text or "not a database" in text or "file is not a database" in text:
        return "damaged"
    # Before the connection checks: PostgreSQL's refusal also says "connection to server … failed".
    if isinstance(err, (OperationalError, DBAPIError)) and (
            "password authentication failed" in text or "authentication failed" in text
            or "no pg_hba.conf entry" in text or "password is required" in text
            or "no password supplied" in text):
        return "refused"
    if isinstance(err, (OperationalError, DBAPIError)) and (
            "connection" in text or "could not connect" in text or "server closed" in text
            or "timeout expired" in text or "name or service not known" in text
            or "connection refused" in text
            or ("database" in text and "does not exist" in text)):
        return "unreachable"
    return "other"


def sentence(err: BaseException) -> str:
    """One lower-case clause naming the fault, fit to follow "because"."""
    return kind_sentence(classify(err))


def kind_sentence(kind: FaultKind) -> str:
    """The clause for a kind of fault already known (a store status that names one, say)."""
    return _SENTENCES[kind]
