"""Choosing a downloads source by name, from providers the container built."""

from __future__ import annotations

from collections.abc import Callable

from pepy.domain.errors import InvalidImport
from pepy.domain.ports import DownloadsSource


class SourceChooser:
    """Gives the source an import asked for (or the configured default), with an optional files path."""

    def __init__(self, default: str, files: Callable[..., DownloadsSource], bigquery: Callable[[], DownloadsSource]):
        self._default = default
        self._files = files
        self._bigquery = bigquery

    def __call__(self, name: str | None, path: str | None) -> DownloadsSource:
        name = name or self._default
        if name == "files":
            return self._files(path=path) if path else self._files()
        if name == "bigquery":
            if path:
                raise InvalidImport("--path is for the files source; the bigquery source reads PEPY_BIGQUERY_TABLE")
            return self._bigquery()
        raise InvalidImport(f"Unknown source {name!r}: use files or bigquery")
