"""The BigQuery source: a day of PyPI downloads aggregated by the public dataset's own engine."""
