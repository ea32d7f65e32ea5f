"""Ingestion: public source files and seed files in, a built store out."""
