"""The PostgreSQL adapter: pooling, migrations, the write-side repository and the read store."""
