"""Query-string parsing: each helper turns one parameter's text into a value or an InvalidParameter naming it."""

from __future__ import annotations

import re
from datetime import date

from flask import request

from pepy.application.queries.common import InvalidParameter

MAX_PARAMETER_LENGTH = 200
_DATE = re.compile(r"\d{4}-\d\d-\d\d", re.ASCII)


def text(name: str, default: str | None = None) -> str | None:
    """The parameter's text, or the default when it is absent or empty; given twice, it is ambiguous."""
    values = request.args.getlist(name)
    if len(values) > 1:
        raise InvalidParameter(name, "is given more than once; give it once")
    value = values[0] if values else None
    if value is None or value == "":
        return default
    if len(value) > MAX_PARAMETER_LENGTH or not value.isprintable():
        raise InvalidParameter(name, f"must be printable text of at most {MAX_PARAMETER_LENGTH} characters")
    return value


def names(name: str) -> tuple[str, ...]:
    """A comma-separated list (empty when absent), each item stripped."""
    value = text(name)
    return tuple(item.strip() for item in value.split(",")) if value else ()


def choice(name: str, choices: tuple[str, ...], default: str | None = None) -> str | None:
    """One of the given values (compared without regard to case)."""
    value = text(name)
    if value is None:
        return default
    if value.lower() not in choices:
        raise InvalidParameter(name, f"must be one of {', '.join(choices)}, not {value!r}")
    return value.lower()


def boolean(name: str, default: bool | None = None) -> bool | None:
    """true or false."""
    value = choice(name, ("true", "false"))
    return default if value is None else value == "true"


def integer(name: str, default: int) -> int:
    """A whole number."""
    value = text(name)
    if value is None:
        return default
    if not value.isascii() or not value.lstrip("-").isdigit() or len(value) > 9:
        raise InvalidParameter(name, f"must be a whole number, not {value!r}")
    return int(value)


def day(name: str) -> date | None:
    """A date as YYYY-MM-DD."""
    value = text(name)
    if value is None:
        return None
    try:
        if not _DATE.fullmatch(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidParameter(name, f"must be a date as YYYY-MM-DD, not {value!r}") from None
