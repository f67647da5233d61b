"""Raw download rows in the BigQuery table's schema, for tests that import through a real source."""

from __future__ import annotations

import gzip
import json
from pathlib import Path


def raw(
    at: str = "2026-11-20 13:45:00 UTC",
    project: str | None = "demo",
    version: str | None = "1.0",
    installer: str | None = "pip",
    python: str | None = "3.12.1",
    system: str | None = "Linux",
    country: str | None = "US",
    ci: bool | None = None,
    file_type: str = "bdist_wheel",
) -> dict:
    """One raw download row of the public table; by default a plain pip download of demo 1.0."""
    return {
        "timestamp": at,
        "country_code": country,
        "url": "/packages/ab/cd/x.whl",
        "project": project,
        "file": {"filename": "x.whl", "project": project, "version": version, "type": file_type},
        "details": {
            "installer": None if installer is None else {"name": installer, "version": "1"},
            "python": python,
            "implementation": {"name": "CPython", "version": python},
            "system": None if system is None else {"name": system, "release": "6.1"},
            "cpu": "x86_64",
            "ci": ci,
        },
        "tls_protocol": "TLSv1.3",
    }


def write_ndjson(path: Path, rows: list[dict]) -> Path:
    """Rows as newline-delimited JSON, gzipped when the name ends in .gz."""
    text = "".join(json.dumps(row) + "\n" for row in rows)
    if path.name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path
