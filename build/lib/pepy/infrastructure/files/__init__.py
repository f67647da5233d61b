"""The files source: raw download rows exported from the BigQuery table, aggregated locally by DuckDB."""
