"""The key hierarchy of encryption at rest (viewfinder.core.crypto): root keys from the settings, data
keys wrapped in the database, sealed values bound to their place, and blind indexes."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import create_engine

from viewfinder.core import crypto
from viewfinder.core.db import sync_url
from viewfinder.settings import Settings

VIEWFINDER = Path(sys.executable).parent / "viewfinder"


def keyring_on(settings: Settings, keys: str | None = None) -> crypto.Keyring:
    roots = crypto.parse_root_keys(keys) if keys else crypto.root_keys_of(settings)
    return crypto.Keyring(roots, settings.resolved_database_url)


def test_generate_key_prints_a_usable_key_line():
    line = subprocess.run(
        [str(VIEWFINDER), "generate-key", "--id", "k1"], capture_output=True, text=True, check=True
    )
    key_id, _, encoded = line.stdout.strip().partition(":")
    assert key_id == "k1"
    assert len(base64.urlsafe_b64decode(encoded + "==")) == 32
    assert crypto.parse_root_keys(line.stdout.strip()) == {"k1": base64.urlsafe_b64decode(encoded + "==")}
    assert crypto.generate_root_key() != crypto.generate_root_key()


KEY = base64.urlsafe_b64encode(bytes(range(32))).decode().rstrip("=")


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("no-colon", "comma-separated"),
        ("k1:" + base64.urlsafe_b64encode(b"short").decode(), "32 bytes"),
        (f"bad id!:{KEY}", "comma-separated"),
        (f"a:{KEY},a:{KEY}", "twice"),
    ],
    ids=["no key", "short", "bad id", "twice"],
)
def test_malformed_root_keys_are_refused_with_what_is_wrong(value, problem):
    with pytest.raises(crypto.KeyringError, match=problem):
        crypto.parse_root_keys(value)
    with pytest.raises(crypto.KeyringError, match=problem):
        Settings(env="test", encryption_keys=value).check()


def test_without_keys_the_root_key_comes_from_the_secret_key():
    dev = crypto.root_keys_of(Settings(env="test"))
    assert list(dev) == ["dev"]
    assert crypto.root_keys_of(Settings(env="development", secret_key="s" * 40)) == dev
    real = crypto.root_keys_of(Settings(env="production", secret_key="s" * 40))
    assert list(real) == ["secret", "dev"]  # current first; a development database still opens
    assert real["secret"] != dev["dev"]
    first, second = crypto.generate_root_key("new"), crypto.generate_root_key("old")
    assert list(crypto.root_keys_of(Settings(env="test", encryption_keys=f"{first},{second}"))) == [
        "new",
        "old",
    ]


def test_a_blank_keys_setting_counts_as_unset(monkeypatch):
    # deploy/viewfinder.env.example leaves `VIEWFINDER_ENCRYPTION_KEYS=` empty.
    monkeypatch.setenv("VIEWFINDER_ENCRYPTION_KEYS", " ")
    settings = Settings(env="production", secret_key="s" * 40)
    assert settings.encryption_keys is None
    assert list(crypto.root_keys_of(settings)) == ["secret", "dev"]


def test_a_value_opens_only_in_its_place_and_unaltered(settings):
    keyring = keyring_on(settings)
    sealed = keyring.seal(crypto.EMAIL, "users.email", b"someone@example.com")
    assert b"someone" not in sealed
    assert sealed != keyring.seal(crypto.EMAIL, "users.email", b"someone@example.com")  # a fresh nonce
    assert keyring.open(crypto.EMAIL, "users.email", sealed) == b"someone@example.com"
    with pytest.raises(crypto.DecryptionError, match="another column or row"):
        keyring.open(crypto.EMAIL, "email_tokens.email", sealed)
    for position in (0, 5, 15, len(sealed) - 1):
        altered = bytearray(sealed)
        altered[position] ^= 0x01
        with pytest.raises(crypto.DecryptionError):
            keyring.open(crypto.EMAIL, "users.email", bytes(altered))
    with pytest.raises(crypto.DecryptionError, match="another purpose"):
        keyring.open(crypto.SESSION, "users.email", sealed)
    with pytest.raises(crypto.DecryptionError, match="not a sealed value"):
        keyring.open(crypto.EMAIL, "users.email", b"someone@example.com")


def test_blind_indexes_match_equal_values_only_and_hide_them(settings):
    keyring = keyring_on(settings)
    one = keyring.blind_index(crypto.EMAIL_INDEX, "alice@example.com")
    assert one == keyring.blind_index(crypto.EMAIL_INDEX, "alice@example.com")
    assert one != keyring.blind_index(crypto.EMAIL_INDEX, "alicf@example.com")
    assert one != keyring.blind_index(crypto.ADDRESS_INDEX, "alice@example.com")  # a key per purpose
    assert "alice" not in one
    assert len(one) == 64


def test_data_keys_are_stored_wrapped_and_a_wrong_root_key_is_refused_clearly(settings):
    keyring_on(settings).current(crypto.EMAIL)
    engine = create_engine(sync_url(settings.resolved_database_url))
    try:
        with engine.connect() as connection:
            rows = list(
                connection.exec_driver_sql("SELECT purpose, root_key_id, wrapped_key FROM encryption_keys")
            )
    finally:
        engine.dispose()
    assert {purpose for purpose, _, _ in rows} >= set(crypto.PURPOSES)
    assert {root for _, root, _ in rows} == {"dev"}
    other = crypto.generate_root_key("dev")  # the same id, another key
    with pytest.raises(crypto.KeyringError, match="does not open the data key"):
        crypto.check(settings.model_copy(update={"encryption_keys": SecretStr(other)}))
    missing = crypto.generate_root_key("new")
    with pytest.raises(crypto.KeyringError, match=r"root key 'dev'.*do not hold"):
        crypto.check(settings.model_copy(update={"encryption_keys": SecretStr(missing)}))
    crypto.check(settings)  # the right one


def test_the_keyring_loads_keys_made_after_it_started(settings):
    running = keyring_on(settings)
    running.current(crypto.EMAIL)
    rotator = keyring_on(settings)
    engine = create_engine(sync_url(settings.resolved_database_url))
    try:
        with engine.connect() as connection:
            rotator.load(connection)
            rotator.create_data_key(connection, crypto.EMAIL, retire_current=True)
            connection.commit()
    finally:
        engine.dispose()
    sealed = rotator.seal(crypto.EMAIL, "users.email", b"new@example.com")
    assert running.open(crypto.EMAIL, "users.email", sealed) == b"new@example.com"
