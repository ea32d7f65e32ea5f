"""Browser tests: playwright driving Debian's chromium against a real streamlit server."""
