"""The repository's scripts: run them by path (``python scripts/serve.py``); ``scripts.live_server`` is
also imported, by the benchmark and the browser tests."""
