"""Ingestion: load -> clean -> chunk -> embed -> store, each a small stage."""
