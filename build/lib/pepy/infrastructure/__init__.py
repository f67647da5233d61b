"""Adapters: PostgreSQL, BigQuery, files, the Flask API, the click CLI, and the container that wires them."""
