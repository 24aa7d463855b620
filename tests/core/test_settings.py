"""Settings: production refuses unsafe configuration, environment parsing, and session cookie flags."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from litestar.testing import TestClient

from tests.conftest import BASE_URL, PASSWORD
from viewfinder.app import API_PREFIX, create_app
from viewfinder.core import ids
from viewfinder.settings import DEVELOPMENT_SECRET_KEY, ConfigurationError, Settings

GOOD_KEY = "k" * 20 + "0123456789abcdefghij"  # 40 characters


@pytest.fixture(autouse=True)
def release_id_shard() -> Iterator[None]:
    """Apps built here claim an ID shard under the test's data directory; give it back."""
    yield
    ids.release_shard()


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what a test sets explicitly decides; the developer's shell must not leak in."""
    for name in ("VIEWFINDER_SECRET_KEY", "VIEWFINDER_DEBUG", "VIEWFINDER_ALLOWED_HOSTS"):
        monkeypatch.delenv(name, raising=False)


def production(tmp_path, **changes) -> Settings:
    return Settings(env="production", data_dir=tmp_path, **changes)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({}, "VIEWFINDER_SECRET_KEY must be set"),
        ({"secret_key": ""}, "VIEWFINDER_SECRET_KEY must be set"),
        ({"secret_key": DEVELOPMENT_SECRET_KEY}, "VIEWFINDER_SECRET_KEY must be set"),
        ({"secret_key": "short-but-not-empty-31-chars-xx"}, "at least 32 characters"),
        ({"secret_key": GOOD_KEY, "debug": True}, "VIEWFINDER_DEBUG must be off"),
    ],
    ids=["no-key", "empty-key", "development-key", "short-key", "debug-on"],
)
def test_production_refuses_to_start_with_unsafe_settings(tmp_path, changes, reason):
    settings = production(tmp_path, **changes)
    with pytest.raises(ConfigurationError, match=reason):
        settings.check()
    with pytest.raises(ConfigurationError, match=reason):
        create_app(settings)


def test_production_starts_with_a_good_key(tmp_path):
    settings = production(tmp_path, secret_key=GOOD_KEY)
    settings.check()
    assert settings.secret == GOOD_KEY
    create_app(settings)
    production(tmp_path, secret_key="x" * 32).check()  # exactly the minimum length is enough


def test_production_is_the_default_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("VIEWFINDER_ENV", raising=False)
    settings = Settings(data_dir=tmp_path)
    assert settings.env == "production"
    with pytest.raises(ConfigurationError):
        settings.check()


@pytest.mark.parametrize("env", ["development", "test"])
def test_development_and_test_run_without_a_key(tmp_path, env):
    settings = Settings(env=env, data_dir=tmp_path, debug=True)
    settings.check()
    assert settings.secret == DEVELOPMENT_SECRET_KEY
    create_app(settings)


def test_secret_key_is_read_from_the_environment_and_not_shown(monkeypatch, tmp_path):
    monkeypatch.setenv("VIEWFINDER_SECRET_KEY", GOOD_KEY)
    settings = Settings(data_dir=tmp_path)
    assert settings.secret == GOOD_KEY
    assert GOOD_KEY not in repr(settings)
    assert GOOD_KEY not in str(settings.model_dump())


def test_allowed_hosts_parse_from_a_comma_separated_variable(monkeypatch):
    monkeypatch.setenv("VIEWFINDER_ALLOWED_HOSTS", "a.com, b.com")
    assert Settings().allowed_hosts == ["a.com", "b.com"]
    monkeypatch.setenv("VIEWFINDER_ALLOWED_HOSTS", " single.example ,, ")
    assert Settings().allowed_hosts == ["single.example"]


def test_debug_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("VIEWFINDER_DEBUG", "true")
    assert Settings().debug is True


def test_cookies_are_secure_unless_debug(tmp_path):
    assert Settings(env="test", data_dir=tmp_path).secure_cookies is True
    assert Settings(env="test", data_dir=tmp_path, debug=True).secure_cookies is False


def session_cookie(response: httpx.Response) -> str:
    cookies = [value for value in response.headers.get_list("set-cookie") if value.startswith("vf_session=")]
    assert len(cookies) == 1, response.headers.get_list("set-cookie")
    return cookies[0]


def cookie_attributes(cookie: str) -> set[str]:
    return {part.strip().split("=", 1)[0].lower() for part in cookie.split(";")[1:]}


def signup_payload(username: str) -> dict[str, str]:
    return {"username": username, "email": f"{username}@example.com", "password": PASSWORD}


def test_session_cookie_is_httponly_secure_and_samesite_lax(anon):
    response = anon.post("/accounts/signup", json=signup_payload("erin"))
    assert response.status_code == 201, response.text
    cookie = session_cookie(response)
    assert {"httponly", "secure", "samesite"} <= cookie_attributes(cookie)
    assert "samesite=lax" in cookie.lower().replace(" ", "")


def test_session_cookie_is_not_secure_under_debug(settings):
    app = create_app(settings.model_copy(update={"debug": True}))
    with TestClient(app, base_url=BASE_URL) as client:
        response = client.post(API_PREFIX + "/accounts/signup", json=signup_payload("frank"))
    assert response.status_code == 201, response.text
    cookie = session_cookie(response)
    assert "secure" not in cookie_attributes(cookie)
    assert {"httponly", "samesite"} <= cookie_attributes(cookie)
