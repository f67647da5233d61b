"""The WSGI entry point gunicorn loads: configuration is read and checked here, at start-up."""

from pepy.infrastructure.api.app import create_app
from pepy.infrastructure.container import build_container
from pepy.infrastructure.logging import configure_logging
from pepy.infrastructure.settings import Settings

settings = Settings.from_env()
configure_logging(settings.env, settings.log_level)
if not settings.database_url:
    raise SystemExit("PEPY_DATABASE_URL is not set: start the API with `pepy serve`, which provides a local database")
app = create_app(build_container(settings))
