"""Draw one Plotly figure as a PNG or SVG in a child process: figure JSON on stdin, the file on stdout.

``kaleido`` drives a headless Chromium and waits for it with no overall time
limit: on a loaded machine a Chromium that never answered its first page left
the export, and the thread that asked for it, waiting for good (a CI run stood
still for 15 minutes in a download test). ``rmo_data.charts.plotly_images``
therefore runs this module as ``python -m rmo_data.charts.plotly_worker FORMAT
WIDTH HEIGHT SCALE`` in a process group of its own, and ends the group,
Chromium included, when it takes too long. It imports plotly and nothing of
the app, so it starts quickly and never re-imports a server's main script.
"""

from __future__ import annotations

import sys

import plotly.io as pio


def main(argv: list[str]) -> int:
    """Read the figure from stdin and write its image to stdout; 2 on bad arguments."""
    if len(argv) != 4 or argv[0] not in {"png", "svg"}:
        print("usage: python -m rmo_data.charts.plotly_worker png|svg WIDTH HEIGHT SCALE", file=sys.stderr)
        return 2
    fmt, width, height, scale = argv[0], int(argv[1]), int(argv[2]), float(argv[3])
    fig = pio.from_json(sys.stdin.buffer.read().decode("utf-8"))
    sys.stdout.buffer.write(fig.to_image(fmt, width=width, height=height, scale=scale))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
