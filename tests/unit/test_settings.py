import pytest

from pepy.infrastructure.settings import ConfigurationError, Settings


def test_defaults_need_nothing_in_development():
    settings = Settings.from_env({})
    assert settings.env == "development"
    assert settings.database_url is None
    assert settings.source == "files"


def test_commands_wait_a_minute_for_the_database_unless_told_otherwise():
    assert Settings.from_env({}).database_wait_seconds == 60
    assert Settings.from_env({"PEPY_DATABASE_WAIT_SECONDS": "0"}).database_wait_seconds == 0
    assert Settings.from_env({"PEPY_DATABASE_WAIT_SECONDS": " 300 "}).database_wait_seconds == 300


def test_reads_go_to_the_replica_when_one_is_set():
    primary = "postgresql://p@primary/pepy"
    assert Settings.from_env({"PEPY_DATABASE_URL": primary}).effective_read_database_url == primary
    replica = "postgresql://p@replica/pepy"
    both = Settings.from_env({"PEPY_DATABASE_URL": primary, "PEPY_READ_DATABASE_URL": replica})
    assert both.effective_read_database_url == replica
    assert both.database_url == primary


def test_the_public_url_is_an_origin_kept_without_a_trailing_slash():
    assert Settings.from_env({}).public_url is None
    assert Settings.from_env({"PEPY_PUBLIC_URL": "https://pepy.example.org/"}).public_url == "https://pepy.example.org"
    assert Settings.from_env({"PEPY_PUBLIC_URL": "http://127.0.0.1:8080"}).public_url == "http://127.0.0.1:8080"


def test_production_requires_a_database_url():
    with pytest.raises(ConfigurationError, match="PEPY_DATABASE_URL is required"):
        Settings.from_env({"PEPY_ENV": "production"})


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"PEPY_ENV": "staging"}, "PEPY_ENV"),
        ({"PEPY_POOL_SIZE": "many"}, "PEPY_POOL_SIZE must be a whole number"),
        ({"PEPY_POOL_SIZE": "0"}, "PEPY_POOL_SIZE must be at least 1"),
        ({"PEPY_SOURCE": "s3"}, "PEPY_SOURCE"),
        ({"PEPY_DATABASE_URL": "mysql://x"}, "postgresql://"),
        ({"PEPY_LOG_LEVEL": "loud"}, "PEPY_LOG_LEVEL"),
        ({"PEPY_BIGQUERY_MAX_BYTES": "-5"}, "PEPY_BIGQUERY_MAX_BYTES"),
        ({"PEPY_DATABASE_WAIT_SECONDS": "1m"}, "PEPY_DATABASE_WAIT_SECONDS must be a whole number, not '1m'"),
        ({"PEPY_DATABASE_WAIT_SECONDS": "-1"}, "PEPY_DATABASE_WAIT_SECONDS must be at least 0, not -1"),
        ({"PEPY_PUBLIC_URL": "pepy.example.org"}, "PEPY_PUBLIC_URL must be the site's address"),
        ({"PEPY_PUBLIC_URL": "https://pepy.example.org/stats"}, "PEPY_PUBLIC_URL"),
        ({"PEPY_PUBLIC_URL": "javascript:alert(1)"}, "PEPY_PUBLIC_URL"),
    ],
)
def test_bad_settings_are_named(environ, message):
    with pytest.raises(ConfigurationError, match=message):
        Settings.from_env(environ)
