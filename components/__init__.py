"""Reusable Streamlit UI pieces: data access with caching, shared state, charts, cards."""
