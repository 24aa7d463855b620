"""Encryption at rest: a key hierarchy, sealed column values and keyed look-up hashes
(docs/decisions/0035-encryption-at-rest.md).

- ROOT keys (key-encryption keys) come from the settings (`VIEWFINDER_ENCRYPTION_KEYS`, the first one
  current) and never touch the database. Without any, one is derived: from the secret key in
  production (id `secret`), from the built-in development key otherwise (id `dev`).
- DATA keys are random, one current per purpose (`email`, `session`, `totp`, and for look-ups
  `index:email`, `index:address`; Direct will add `message:<conversation id>`), stored in
  `encryption_keys` wrapped (AES-256-GCM) under a root key, and cached in memory per process.
- A value is sealed with AES-256-GCM under its purpose's current data key, in the format
  ``version (1 byte) | data key id (8 bytes) | nonce (12 bytes) | ciphertext and tag``, with associated
  data that names the purpose and the value's place (`table.column`, plus the row where the model
  binds it), so a value moved to another column (or bound row) does not open.
- A blind index is an HMAC-SHA256, under the purpose's index key, of the normalised value: equal
  values have equal indexes, so the database finds them without ever holding the value.

The process-wide keyring is set by `configure(settings)` (the app, the CLI, the tests) and loads its
data keys lazily on a short synchronous connection of its own (a read: never waits on a write lock).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import re
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Connection, Index, LargeBinary, String, Table, delete, inspect, select, text, update
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from viewfinder.core.db import Base, UtcDateTime, utcnow
from viewfinder.settings import DEVELOPMENT_SECRET_KEY, ConfigurationError

if TYPE_CHECKING:
    from viewfinder.settings import Settings

FORMAT_VERSION = 1
KEY_BYTES = 32
KEY_ID_BYTES = 8
NONCE_BYTES = 12
HEADER_BYTES = 1 + KEY_ID_BYTES + NONCE_BYTES

EMAIL = "email"
SESSION = "session"
TOTP = "totp"
EMAIL_INDEX = "index:email"
ADDRESS_INDEX = "index:address"
PURPOSES = (EMAIL, SESSION, TOTP, EMAIL_INDEX, ADDRESS_INDEX)
"""The purposes whose data keys the migration makes; others (Direct's) are made when first needed."""

logger = logging.getLogger("viewfinder.crypto")
_ROOT_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class KeyringError(ConfigurationError):
    """The root keys in the settings cannot open the data keys in the database (or are malformed)."""


class DecryptionError(ValueError):
    """A sealed value did not open: tampered with, moved to another column or row, or of an unknown key."""


class EncryptionKey(Base):
    """A data key, wrapped under the root key `root_key_id`. One unretired key per purpose is current;
    retired ones stay until nothing is sealed under them (`viewfinder rotate-keys --data-keys`)."""

    __tablename__ = "encryption_keys"
    __table_args__ = (
        Index(
            "uq_encryption_keys_current_purpose",
            "purpose",
            unique=True,
            sqlite_where=text("retired_at IS NULL"),
            postgresql_where=text("retired_at IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(200), nullable=False)
    root_key_id: Mapped[str] = mapped_column(String(32), nullable=False)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


def _keys_table() -> Table:
    table: Table = EncryptionKey.__table__  # type: ignore[assignment]
    return table


# --- root keys ----------------------------------------------------------------------------------------


def generate_root_key(key_id: str | None = None) -> str:
    """A new `<id>:<base64url key>` line for VIEWFINDER_ENCRYPTION_KEYS."""
    key_id = key_id or f"k{utcnow():%Y%m%d}{secrets.token_hex(2)}"
    if not _ROOT_KEY_ID.match(key_id):
        raise ValueError("a key id is 1 to 32 letters, digits, '-' or '_'")
    return f"{key_id}:{base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode().rstrip('=')}"


def parse_root_keys(value: str) -> dict[str, bytes]:
    """`id:key,id:key` (the first current) as an ordered dict; KeyringError when malformed."""
    keys: dict[str, bytes] = {}
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        key_id, _, encoded = item.partition(":")
        if not _ROOT_KEY_ID.match(key_id) or not encoded:
            raise KeyringError(
                "VIEWFINDER_ENCRYPTION_KEYS must be comma-separated '<key id>:<base64url key>' "
                "(make one with `viewfinder generate-key`)."
            )
        try:
            key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except (binascii.Error, ValueError) as exc:
            raise KeyringError(f"Encryption key {key_id!r} is not base64url.") from exc
        if len(key) != KEY_BYTES:
            raise KeyringError(f"Encryption key {key_id!r} must be {KEY_BYTES} bytes (it has {len(key)}).")
        if key_id in keys:
            raise KeyringError(f"Encryption key id {key_id!r} appears twice.")
        keys[key_id] = key
    if not keys:
        raise KeyringError("VIEWFINDER_ENCRYPTION_KEYS is set but holds no key.")
    return keys


def root_keys_of(settings: Settings) -> dict[str, bytes]:
    """The settings' root keys, current first. When none are set: in production one derived from the
    secret key (id `secret`); in development and test one derived from the built-in development key
    (id `dev`), whatever the secret key, so setting one there does not lock a development database."""
    if settings.encryption_keys is not None:
        return parse_root_keys(settings.encryption_keys.get_secret_value())
    development = _derive(DEVELOPMENT_SECRET_KEY)
    if settings.env != "production":
        return {"dev": development}
    # The development key comes second: a database first migrated in development still opens (with a
    # warning at load: its keys are wrapped under a public key until `rotate-keys` re-wraps them).
    return {"secret": _derive(settings.secret), "dev": development}


def _derive(secret: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=b"viewfinder root key").derive(
        secret.encode()
    )


# --- data keys ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataKey:
    id: str
    purpose: str
    key: bytes
    retired: bool

    @property
    def raw_id(self) -> bytes:
        return bytes.fromhex(self.id)


def _wrap_context(key_id: str, purpose: str, root_key_id: str) -> bytes:
    return f"viewfinder data key|{key_id}|{purpose}|{root_key_id}".encode()


def wrap(root_key_id: str, root_key: bytes, key_id: str, purpose: str, key: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(root_key).encrypt(nonce, key, _wrap_context(key_id, purpose, root_key_id))


def _sealed_context(raw_id: bytes, purpose: str, context: str) -> bytes:
    return bytes([FORMAT_VERSION]) + raw_id + purpose.encode() + b"\x00" + context.encode()


def key_id_of(sealed: bytes) -> str | None:
    """The data key id a sealed value names, or None when it is not a sealed value (plaintext)."""
    if len(sealed) < HEADER_BYTES + 16 or sealed[0] != FORMAT_VERSION:
        return None
    return sealed[1 : 1 + KEY_ID_BYTES].hex()


class Keyring:
    """Root keys from the settings and the data keys of one database, unwrapped on first use."""

    def __init__(self, root_keys: dict[str, bytes], database_url: str | None = None) -> None:
        self.root_keys = root_keys
        self.current_root_id = next(iter(root_keys))
        self.database_url = database_url
        self._lock = threading.RLock()
        self._loaded = False
        self._by_id: dict[str, DataKey] = {}
        self._ciphers: dict[str, AESGCM] = {}

    # loading and making keys

    def load(self, connection: Connection) -> None:
        """Unwrap every data key of the database on this connection (KeyringError when one does not)."""
        table = _keys_table()
        if not inspect(connection).has_table(EncryptionKey.__tablename__):
            rows: list[Any] = []
        else:
            rows = list(connection.execute(select(table)))
        by_id: dict[str, DataKey] = {}
        for row in rows:
            root = self.root_keys.get(row.root_key_id)
            if root is None:
                raise KeyringError(
                    f"The data key {row.id} ({row.purpose}) is wrapped under the root key "
                    f"{row.root_key_id!r}, "
                    "which the root keys in force (VIEWFINDER_ENCRYPTION_KEYS, else the one derived from the "
                    "secret key) do not hold: put that key back (after the current one) and run "
                    "`viewfinder rotate-keys` before removing it."
                )
            try:
                key = AESGCM(root).decrypt(
                    row.wrapped_key[:NONCE_BYTES],
                    row.wrapped_key[NONCE_BYTES:],
                    _wrap_context(row.id, row.purpose, row.root_key_id),
                )
            except InvalidTag as exc:
                raise KeyringError(
                    f"The root key {row.root_key_id!r} in the settings does not open the data key {row.id} "
                    f"({row.purpose}): it is not the key the data was encrypted with."
                ) from exc
            by_id[row.id] = DataKey(row.id, row.purpose, key, row.retired_at is not None)
            if row.root_key_id == "dev" and self.current_root_id != "dev":
                logger.warning(
                    "The data key %s is wrapped under the public development root key: run "
                    "`viewfinder rotate-keys --data-keys` (docs/deploy.md, Encryption keys).",
                    row.id,
                )
        with self._lock:
            self._by_id = by_id
            self._ciphers = {}
            self._loaded = True

    def _side_load(self, create: Iterable[str] = ()) -> None:
        if self.database_url is None:
            raise KeyringError("The keyring has no database to load its data keys from.")
        from viewfinder.core.db import make_sync_engine

        engine = make_sync_engine(self.database_url)
        try:
            with engine.connect() as connection:
                for purpose in create:
                    self.create_data_key(connection, purpose, retire_current=False)
                    connection.commit()
                self.load(connection)
        finally:
            engine.dispose()

    def create_data_key(self, connection: Connection, purpose: str, *, retire_current: bool) -> DataKey:
        """A new current data key for the purpose, wrapped under the current root key (in the
        connection's transaction). Without retire_current, an existing current key is kept."""
        table = _keys_table()
        if retire_current:
            connection.execute(
                update(table)
                .where(table.c.purpose == purpose, table.c.retired_at.is_(None))
                .values(retired_at=utcnow())
            )
        key_id, key = secrets.token_hex(KEY_ID_BYTES), secrets.token_bytes(KEY_BYTES)
        root = self.root_keys[self.current_root_id]
        try:
            with connection.begin_nested():
                connection.execute(
                    table.insert().values(
                        id=key_id,
                        purpose=purpose,
                        root_key_id=self.current_root_id,
                        wrapped_key=wrap(self.current_root_id, root, key_id, purpose, key),
                        created_at=utcnow(),
                    )
                )
        except IntegrityError:  # another process made the purpose's current key first
            return self.current(purpose)
        data_key = DataKey(key_id, purpose, key, False)
        with self._lock:
            by_id = {
                k.id: DataKey(k.id, k.purpose, k.key, True) if retire_current and k.purpose == purpose else k
                for k in self._by_id.values()
            }
            self._by_id = {**by_id, key_id: data_key}
            self._loaded = True
        return data_key

    def _keys(self) -> dict[str, DataKey]:
        if not self._loaded:
            with self._lock:
                if not self._loaded:
                    self._side_load()
        return self._by_id

    def current(self, purpose: str) -> DataKey:
        for key in self._keys().values():
            if key.purpose == purpose and not key.retired:
                return key
        with self._lock:  # a purpose with no key yet (the migration makes the usual ones)
            self._side_load(create=[purpose])
        for key in self._by_id.values():
            if key.purpose == purpose and not key.retired:
                return key
        raise KeyringError(f"no data key for {purpose!r}")  # pragma: no cover

    def keys_for(self, purpose: str) -> list[DataKey]:
        """The purpose's data keys, the current one first."""
        return sorted((k for k in self._keys().values() if k.purpose == purpose), key=lambda k: k.retired)

    def key(self, key_id: str) -> DataKey | None:
        found = self._keys().get(key_id)
        if found is None and self.database_url is not None:
            with self._lock:  # made since this process loaded (a rotation): load again
                self._side_load()
            found = self._by_id.get(key_id)
        return found

    def _cipher(self, key: DataKey) -> AESGCM:
        cipher = self._ciphers.get(key.id)
        if cipher is None:
            cipher = self._ciphers[key.id] = AESGCM(key.key)
        return cipher

    # sealing and opening

    def seal(self, purpose: str, context: str, plaintext: bytes, key: DataKey | None = None) -> bytes:
        key = key or self.current(purpose)
        nonce = secrets.token_bytes(NONCE_BYTES)
        raw_id = key.raw_id
        sealed = self._cipher(key).encrypt(nonce, plaintext, _sealed_context(raw_id, purpose, context))
        return bytes([FORMAT_VERSION]) + raw_id + nonce + sealed

    def open(self, purpose: str, context: str, sealed: bytes) -> bytes:
        key_id = key_id_of(sealed)
        if key_id is None:
            raise DecryptionError(f"{context}: not a sealed value (or an unknown format)")
        key = self.key(key_id)
        if key is None:
            raise DecryptionError(
                f"{context}: sealed under the data key {key_id}, which this database does not hold"
            )
        if key.purpose != purpose:
            raise DecryptionError(f"{context}: sealed under a key of another purpose")
        nonce = sealed[1 + KEY_ID_BYTES : HEADER_BYTES]
        try:
            return self._cipher(key).decrypt(
                nonce, sealed[HEADER_BYTES:], _sealed_context(sealed[1 : 1 + KEY_ID_BYTES], purpose, context)
            )
        except InvalidTag as exc:
            raise DecryptionError(
                f"{context}: the value was altered, or belongs to another column or row"
            ) from exc

    # blind indexes

    def blind_index(self, purpose: str, value: str, key: DataKey | None = None) -> str:
        """The look-up hash of an (already normalised) value under the purpose's current index key."""
        key = key or self.current(purpose)
        return hmac.new(key.key, value.encode(), hashlib.sha256).hexdigest()

    def blind_indexes(self, purpose: str, value: str) -> list[str]:
        """Its hash under every index key of the purpose (several only while `--index` runs)."""
        keys = self.keys_for(purpose) or [self.current(purpose)]
        return [self.blind_index(purpose, value, key) for key in keys]


# --- the process-wide keyring --------------------------------------------------------------------------

_keyring: Keyring | None = None
_configure_lock = threading.Lock()


def configure(settings: Settings) -> Keyring:
    """Use these settings' root keys and database from now on in this process (KeyringError when the
    keys are malformed). Data keys load on first use."""
    global _keyring
    keyring = Keyring(root_keys_of(settings), settings.resolved_database_url)
    with _configure_lock:
        _keyring = keyring
    return keyring


def keyring() -> Keyring:
    """The process's keyring (from the environment's settings when nobody configured one)."""
    if _keyring is None:
        from viewfinder.settings import get_settings

        return configure(get_settings())
    return _keyring


def check(settings: Settings) -> None:
    """Refuse (KeyringError) settings whose root keys cannot open the database's data keys."""
    configure(settings)._side_load()


def seal_text(purpose: str, context: str, value: str) -> bytes:
    return keyring().seal(purpose, context, value.encode())


def open_text(purpose: str, context: str, sealed: bytes) -> str:
    return keyring().open(purpose, context, sealed).decode()


def email_index(email: str) -> str:
    """The look-up hash of an email address (case-insensitive)."""
    return keyring().blind_index(EMAIL_INDEX, email.strip().lower())


def email_indexes(email: str) -> list[str]:
    """Every look-up hash an address may be stored under (one, except while `--index` runs)."""
    return keyring().blind_indexes(EMAIL_INDEX, email.strip().lower())


def address_index(value: str) -> str:
    """The look-up hash of an IP address or user agent, as the security log matches them."""
    return keyring().blind_index(ADDRESS_INDEX, value)


def address_indexes(value: str) -> list[str]:
    return keyring().blind_indexes(ADDRESS_INDEX, value)


# --- column types ------------------------------------------------------------------------------------


class Encrypted(TypeDecorator[str]):
    """A text column stored sealed under the purpose's data key, bound to `context` (`table.column`).
    Never compare it in SQL (a sealed value is different each time): look up by a blind index."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, purpose: str, context: str) -> None:
        super().__init__()
        self.purpose = purpose
        self.context = context

    def process_bind_param(self, value: str | None, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        return keyring().seal(self.purpose, self.context, value.encode())

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return keyring().open(self.purpose, self.context, bytes(value)).decode()


class EncryptedJSON(TypeDecorator[dict[str, Any]]):
    """A JSON object column stored sealed (see Encrypted)."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, purpose: str, context: str) -> None:
        super().__init__()
        self.purpose = purpose
        self.context = context

    def process_bind_param(self, value: dict[str, Any] | None, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        plain = json.dumps(value, separators=(",", ":"), sort_keys=True).encode()
        return keyring().seal(self.purpose, self.context, plain)

    def process_result_value(self, value: Any, dialect: Dialect) -> dict[str, Any] | None:
        if value is None:
            return None
        opened: dict[str, Any] = json.loads(keyring().open(self.purpose, self.context, bytes(value)))
        return opened


# --- what is sealed where (the migration's conversion and rotate-keys walk these) ----------------------


@dataclass(frozen=True)
class SealedColumn:
    table: str
    column: str
    purpose: str
    bound_to: str | None = None
    """A column of the row whose value is part of the associated data (the row binding)."""

    def context(self, row_value: Any = None) -> str:
        base = f"{self.table}.{self.column}"
        return base if self.bound_to is None else f"{base}:{self.bound_to}={row_value}"


SEALED_COLUMNS = (
    SealedColumn("users", "email", EMAIL),
    SealedColumn("email_tokens", "email", EMAIL),
    SealedColumn("user_sessions", "user_agent", SESSION),
    SealedColumn("user_sessions", "ip_address", SESSION),
    SealedColumn("security_events", "ip_address", SESSION),
    SealedColumn("security_events", "user_agent", SESSION),
    SealedColumn("security_events", "detail", SESSION),
    SealedColumn("trusted_devices", "user_agent", SESSION),
    SealedColumn("trusted_devices", "ip_address", SESSION),
    SealedColumn("totp_authenticators", "secret", TOTP, bound_to="user_id"),
)

TOTP_SECRET = SEALED_COLUMNS[-1]


def _batches(connection: Connection, column: SealedColumn, batch_size: int) -> Iterable[list[Any]]:
    bound = f", {column.bound_to}" if column.bound_to else ""
    last: int | None = None
    while True:
        where = "" if last is None else f"WHERE id > {int(last)} "
        # Table and column names come from SEALED_COLUMNS, numbers from int(): nothing from outside.
        query = f"SELECT id, {column.column}{bound} FROM {column.table} {where}"  # noqa: S608
        query += f"ORDER BY id LIMIT {int(batch_size)}"
        rows = list(connection.exec_driver_sql(query))
        if not rows:
            return
        last = rows[-1][0]
        yield rows


def reseal_column(
    connection: Connection,
    keyring_: Keyring,
    column: SealedColumn,
    *,
    batch_size: int = 500,
    plaintext_ok: bool = False,
    on_batch: Any = None,
) -> int:
    """Seal every value of the column under its purpose's current key that is not already: plaintext
    ones (only when plaintext_ok: the migration) and ones under older keys. Commits per batch when
    on_batch is given (it is called after each). Returns how many values were sealed."""
    current = keyring_.current(column.purpose)
    table = column.table
    changed = 0
    for rows in _batches(connection, column, batch_size):
        for row in rows:
            value = row[1]
            if value is None:
                continue
            raw = value.encode() if isinstance(value, str) else bytes(value)
            context = column.context(row[2] if column.bound_to else None)
            key_id = key_id_of(raw)
            if key_id == current.id:
                continue
            if key_id is not None and keyring_.key(key_id) is not None:
                plain = keyring_.open(column.purpose, context, raw)
            elif plaintext_ok:
                plain = raw
            else:
                raise DecryptionError(f"{context} of row {row[0]}: not sealed under a known key")
            sealed = keyring_.seal(column.purpose, context, plain, current)
            connection.execute(
                text(f"UPDATE {table} SET {column.column} = :value WHERE id = :id"),  # noqa: S608 (fixed names)
                {"value": sealed, "id": row[0]},
            )
            changed += 1
        if on_batch is not None:
            on_batch()
    return changed


def reindex(connection: Connection, keyring_: Keyring, *, batch_size: int = 500, on_batch: Any = None) -> int:
    """Recompute every blind index under its purpose's current index key: users.email_key from the
    sealed addresses, security_events.ip_key and user_agent_key from the sealed metadata."""
    email_key = keyring_.current(EMAIL_INDEX)
    address_key = keyring_.current(ADDRESS_INDEX)
    changed = 0
    users = SealedColumn("users", "email", EMAIL)
    for rows in _batches(connection, users, batch_size):
        for user_id, sealed in rows:
            email = keyring_.open(EMAIL, users.context(), bytes(sealed)).decode()
            connection.execute(
                text("UPDATE users SET email_key = :key WHERE id = :id"),
                {"key": keyring_.blind_index(EMAIL_INDEX, email.strip().lower(), email_key), "id": user_id},
            )
            changed += 1
        if on_batch is not None:
            on_batch()
    last: int | None = None
    while True:
        where = "" if last is None else f"WHERE id > {int(last)} "
        query = f"SELECT id, ip_address, user_agent FROM security_events {where}"  # noqa: S608
        query += f"ORDER BY id LIMIT {int(batch_size)}"
        rows = list(connection.exec_driver_sql(query))
        if not rows:
            break
        last = rows[-1][0]
        for event_id, ip_sealed, agent_sealed in rows:
            ip = keyring_.open(SESSION, "security_events.ip_address", bytes(ip_sealed)).decode()
            agent = keyring_.open(SESSION, "security_events.user_agent", bytes(agent_sealed)).decode()
            connection.execute(
                text("UPDATE security_events SET ip_key = :ip, user_agent_key = :agent WHERE id = :id"),
                {
                    "ip": keyring_.blind_index(ADDRESS_INDEX, ip, address_key),
                    "agent": keyring_.blind_index(ADDRESS_INDEX, agent, address_key),
                    "id": event_id,
                },
            )
            changed += 1
        if on_batch is not None:
            on_batch()
    return changed


def rewrap(connection: Connection, keyring_: Keyring) -> int:
    """Wrap every data key under the current root key (so older root keys can leave the settings)."""
    keyring_.load(connection)  # refuses when a needed root key is missing
    table = _keys_table()
    root_id = keyring_.current_root_id
    root = keyring_.root_keys[root_id]
    changed = 0
    for row in list(connection.execute(select(table.c.id, table.c.root_key_id))):
        if row.root_key_id == root_id:
            continue
        data_key = keyring_._by_id[row.id]
        connection.execute(
            update(table)
            .where(table.c.id == row.id)
            .values(
                root_key_id=root_id, wrapped_key=wrap(root_id, root, row.id, data_key.purpose, data_key.key)
            )
        )
        changed += 1
    return changed


def keys_in_use(connection: Connection, *, batch_size: int = 500) -> set[str]:
    """The data key ids that sealed values in the database name (a full scan)."""
    used: set[str] = set()
    for column in SEALED_COLUMNS:
        for rows in _batches(connection, column, batch_size):
            for row in rows:
                if row[1] is not None and (key_id := key_id_of(as_bytes(row[1]))) is not None:
                    used.add(key_id)
    return used


def as_bytes(value: Any) -> bytes:
    return value.encode() if isinstance(value, str) else bytes(value)


def drop_retired(connection: Connection, purpose: str, in_use: set[str] | None = None) -> tuple[int, int]:
    """Delete the purpose's retired data keys that nothing is sealed under (all of them for look-up
    keys: in_use None); returns (deleted, kept because still in use)."""
    table = _keys_table()
    retired = [
        key_id
        for (key_id,) in connection.execute(
            select(table.c.id).where(table.c.purpose == purpose, table.c.retired_at.is_not(None))
        )
    ]
    kept = [key_id for key_id in retired if in_use is not None and key_id in in_use]
    gone = [key_id for key_id in retired if key_id not in kept]
    if gone:
        connection.execute(delete(table).where(table.c.id.in_(gone)))
    return len(gone), len(kept)
