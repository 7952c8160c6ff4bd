"""Settings: defaults, then PARLOR_* variables, then flags."""

from __future__ import annotations

import pytest

from parlor.settings import Settings


def test_defaults_need_no_configuration() -> None:
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite:///var/parlor.db"
    assert (settings.host, settings.port, settings.web_port, settings.tcp_port) == (
        "127.0.0.1",
        36000,
        8008,
        36001,
    )
    assert settings.limits.default_bankroll == 1000
    assert (settings.limits.default_table_min, settings.limits.default_table_max) == (10, 500)


def test_environment_then_flags() -> None:
    environ = {"PARLOR_PORT": "4000", "PARLOR_DATABASE_URL": "postgresql://x/y", "OTHER": "1"}
    settings = Settings.from_env(environ, port=5000, host=None)
    assert settings.port == 5000  # the flag wins
    assert settings.database_url == "postgresql://x/y"  # then the environment
    assert settings.host == "127.0.0.1"  # a flag left unset does not override
    assert Settings.from_env({"PARLOR_SQLITE_BUSY_TIMEOUT": "0.5"}).sqlite_busy_timeout == 0.5


def test_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(ValueError, match="PARLOR_PORT='http'"):
        Settings.from_env({"PARLOR_PORT": "http"})


@pytest.mark.parametrize(
    ("settings", "url"),
    [
        (Settings(), "http://127.0.0.1:36000"),
        (Settings(host="0.0.0.0", port=4000), "http://127.0.0.1:4000"),
        (Settings(host="::"), "http://[::1]:36000"),
        (Settings(host="10.0.0.5"), "http://10.0.0.5:36000"),
        (Settings(service_url="https://rules.example/api/"), "https://rules.example/api"),
    ],
)
def test_where_the_web_app_finds_the_service(settings: Settings, url: str) -> None:
    assert settings.service_base_url == url


def test_the_auth_secret_is_not_shown() -> None:
    settings = Settings.from_env({"PARLOR_AUTH_SECRET": "hush"})
    assert settings.auth_secret == "hush"
    assert "hush" not in repr(settings)
