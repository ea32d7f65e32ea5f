"""The chart-drawing worker process of briefing packs: Vega-Lite spec in, PNG bytes out.

vl-convert holds Python's global lock while it draws, so drawing in a thread
stalls the collecting and the layout for as long as the chart takes.  A worker
process has its own lock: charts draw on the second core while the pack is
collected and laid out.  It is a plain child process (``python -m
rmo_data.briefing.vl_worker``) rather than a multiprocessing pool, so it never
re-imports the parent's main script (a Streamlit server's or a test runner's),
and it imports nothing but vl-convert, so it starts in a fraction of a second.

Protocol on stdin/stdout, one request at a time: a 4-byte big-endian length
and the spec as UTF-8; the answer is a 4-byte status (0 PNG, 1 error), a
4-byte length and the PNG bytes or the error text.
"""

from __future__ import annotations

import struct
import sys
from typing import BinaryIO

OK, ERROR = 0, 1


def _read(stream: BinaryIO, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = stream.read(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def send(stream: BinaryIO, status: int, payload: bytes) -> None:
    """Write one framed message."""
    stream.write(struct.pack(">II", status, len(payload)) + payload)
    stream.flush()


def receive(stream: BinaryIO) -> tuple[int, bytes]:
    """Read one framed message (status, payload)."""
    status, length = struct.unpack(">II", _read(stream, 8))
    return status, _read(stream, length)


def main() -> None:
    """Serve specs until stdin closes."""
    import vl_convert

    vl_convert.vegalite_to_svg('{"mark": "point", "data": {"values": [{"a": 1}]}}')  # start the engine now
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            _status, spec = receive(source)
        except EOFError:
            return
        try:
            send(sink, OK, vl_convert.vegalite_to_png(spec.decode("utf-8"), scale=2))
        except Exception as err:  # noqa: BLE001 - the parent reports it; this worker keeps serving
            send(sink, ERROR, f"{type(err).__name__}: {err}".encode("utf-8", "replace"))


if __name__ == "__main__":
    main()
