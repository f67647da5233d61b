"""Value objects: project names, versions and download counts.

A project's all-time total is its base plus every stored day, moved by the new day minus the old one when a day
is replaced: the import keeps that rule for 400,000 projects at once, set-based, in
pepy/infrastructure/postgres/repository.py, and tests/integration/test_repository.py holds it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from packaging.version import InvalidVersion
from packaging.version import Version as Pep440Version

from pepy.domain.errors import InvalidDownloads, InvalidProjectName

PROJECT_NAME_MAX_LENGTH = 512
# PyPI accepts ASCII letters, digits, ".", "_" and "-", starting and ending with a letter or digit.
_PROJECT_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?", re.ASCII)
_SEPARATOR_RUN = re.compile(r"[-_.]+")
MAX_DOWNLOADS = 2**63 - 1


@dataclass(frozen=True, order=True)
class ProjectName:
    """A PyPI project name, PEP 503-normalised: lowercase, each run of "-", "_", "." made one "-"."""

    value: str

    def __post_init__(self):
        raw = self.value
        if not isinstance(raw, str) or raw == "":
            raise InvalidProjectName("The project name is empty")
        if len(raw) > PROJECT_NAME_MAX_LENGTH:
            raise InvalidProjectName(
                f"The project name is {len(raw)} characters long; at most {PROJECT_NAME_MAX_LENGTH} are allowed"
            )
        if not _PROJECT_NAME.fullmatch(raw):
            raise InvalidProjectName(
                f"Invalid project name {raw!r}: use ASCII letters, digits, '.', '_' and '-', "
                "starting and ending with a letter or digit"
            )
        object.__setattr__(self, "value", _SEPARATOR_RUN.sub("-", raw).lower())

    def __str__(self) -> str:
        return self.value


@functools.total_ordering
@dataclass(frozen=True, eq=False)
class Version:
    """A release version, ordered as PEP 440 orders them; invalid strings sort after valid ones, by text."""

    value: str
    _key: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        # Only strings can be PEP 440 versions; anything else sorts with the invalid ones, by its text.
        key = _version_key(self.value) if isinstance(self.value, str) else (1, str(self.value), str(self.value))
        object.__setattr__(self, "_key", key)

    @property
    def is_valid(self) -> bool:
        """Whether the string is a valid PEP 440 version."""
        return self._key[0] == 0

    def __eq__(self, other) -> bool:
        return isinstance(other, Version) and self.value == other.value

    def __hash__(self) -> int:
        return hash(self.value)

    def __lt__(self, other: Version) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key < other._key

    def __str__(self) -> str:
        return self.value


def sort_versions(versions) -> list[str]:
    """Version strings in PEP 440 order, invalid ones last."""
    return sorted(versions, key=_version_key)


def newest_first(versions) -> list[str]:
    """Version strings in PEP 440 order, the newest first; invalid ones last still."""
    ordered = sort_versions(versions)
    valid = sum(1 for version in ordered if _version_key(version)[0] == 0)
    return ordered[:valid][::-1] + ordered[valid:]


# Projects share most version strings ("1.0.0"), and a heavy project's thousands are sorted on every answer
# built: parsing each string once per process saves most of the sort.
@functools.lru_cache(maxsize=1 << 16)
def _version_key(value: str) -> tuple:
    try:
        return (0, Pep440Version(value), value)
    except InvalidVersion:
        return (1, value, value)


@dataclass(frozen=True)
class Downloads:
    """A download count: a non-negative integer that fits PostgreSQL's bigint."""

    value: int = 0

    def __post_init__(self):
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise InvalidDownloads(f"A download count must be an integer, not {self.value!r}")
        if self.value < 0:
            raise InvalidDownloads(f"A download count cannot be negative: {self.value}")
        if self.value > MAX_DOWNLOADS:
            raise InvalidDownloads(f"A download count cannot exceed {MAX_DOWNLOADS}: {self.value}")
