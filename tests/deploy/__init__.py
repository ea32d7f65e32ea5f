"""Tests of the container files: Dockerfile, compose.yaml, the proxy site and the entry command."""
