"""Domain errors: each says, in words a client can read, which rule was broken."""


class DomainError(ValueError):
    """A rule of the domain was broken by the input."""


class InvalidProjectName(DomainError):
    """A project name outside PyPI's rules."""


class InvalidDownloads(DomainError):
    """A download count that is negative, too large, or inconsistent."""


class ProjectNotFound(DomainError):
    """No downloads are stored for the project."""

    def __init__(self, name: str):
        super().__init__(f"Project with name {name} does not exist")
        self.name = name


class InvalidImport(DomainError):
    """An import request or its input that cannot be carried out."""


class SourceUnavailable(RuntimeError):
    """The downloads source did not answer: an outage, a timeout, or retries exhausted. Nothing was stored."""


class DatabaseUnavailable(RuntimeError):
    """The database could not be reached, or dropped the connection. Nothing was changed."""


class DatabaseTimeout(RuntimeError):
    """A statement ran past its time limit and was cancelled. Nothing was changed."""
