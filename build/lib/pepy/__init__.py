"""pepy: daily PyPI download statistics, imported into PostgreSQL and served as JSON and badges."""
