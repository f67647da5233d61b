"""The API tests' fixtures: the known-answer data imported once per module, and a container and client over it."""

from tests.e2e.api_support import api, api_client, loaded_database  # noqa: F401
