"""Apache Cassandra for the scale-out stack: one connection per process, the schema, asyncio calls.

Cassandra holds the home timelines when `timeline_backend` is "cassandra" (feeds.cassandra). This
module knows nothing of timelines beyond the schema: it opens one driver `Cluster` and `Session`
per process and set of contact points (lazily, on first use, so forked workers never share one),
prepares statements once, and runs them from asyncio code. The driver does its network I/O on its
own thread; `execute` hands each result back to the calling event loop.

Any failure to reach the cluster (no host, timeouts, too few replicas) becomes `CassandraUnavailable`,
an `ApiError` that answers 503 in the API's error shape; background jobs retry it with backoff.

`migrate` (`viewfinder cassandra-migrate`) creates the keyspace (SimpleStrategy with
`cassandra_replication_factor`) and the tables; every statement is idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cassandra import (
    ConsistencyLevel,
    OperationTimedOut,
    ProtocolVersion,
    RequestExecutionException,
)
from cassandra.cluster import (
    EXEC_PROFILE_DEFAULT,
    Cluster,
    ExecutionProfile,
    NoHostAvailable,
    Session,
)
from cassandra.connection import ConnectionException
from cassandra.policies import (
    DCAwareRoundRobinPolicy,
    ExponentialReconnectionPolicy,
    TokenAwarePolicy,
)
from cassandra.query import PreparedStatement

from viewfinder.core.errors import ServiceUnavailable
from viewfinder.settings import Settings

logger = logging.getLogger("viewfinder.cassandra")

REQUEST_TIMEOUT_SECONDS = 5.0
"""A request the cluster has not answered in this long fails (and the API answers 503)."""
CONNECT_TIMEOUT_SECONDS = 3.0
SCHEMA_TIMEOUT_SECONDS = 60.0
"""Schema changes (migrate, drop) wait this long: every node must write and agree on them."""
RECONNECT_MAX_DELAY_SECONDS = 5.0
"""A node that went away is retried at most this far apart, so service resumes soon after it returns."""
CONCURRENCY = 4
"""Requests one `execute_all` keeps in flight: enough to keep a node busy without timing out its
write queue (a 2-core node timed out with hundreds of 250-row writes in flight)."""

_UNAVAILABLE_ERRORS = (NoHostAvailable, OperationTimedOut, RequestExecutionException, ConnectionException)
_KEYSPACE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,47}")


class CassandraUnavailable(ServiceUnavailable):
    """Cassandra could not be reached or did not answer in time: 503, try again shortly."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "This is unavailable for a moment (its database cannot be reached); try again shortly.", detail
        )


def keyspace_of(settings: Settings) -> str:
    """The keyspace the settings name, checked: it is pasted into CQL, which cannot bind names."""
    name = settings.cassandra_keyspace
    if not _KEYSPACE_NAME.fullmatch(name):
        raise ValueError(
            f"cassandra_keyspace {name!r} must be a letter then letters, digits or _ (48 at most)"
        )
    return name


# --- the schema ----------------------------------------------------------------------------------


def schema(keyspace: str) -> list[str]:
    """Every table, as idempotent CQL. Home timelines (feeds.cassandra):

    - `timelines`: one partition per account, its entries clustered by post id descending, so a
      page is one slice read from the top of one partition. Trimming deletes a range below the
      newest `timeline_max_entries` (one range tombstone). Leveled compaction keeps a partition
      that is appended to all day in few SSTables, so reads stay one or two disk reads.
    - `post_timelines`: which timelines a post was written to (one partition per post), so a
      deleted post leaves every timeline without a scan. author_id is there because a CQL UPDATE
      (which takes IN over clustering keys, unlike INSERT) must set a regular column.

    Notification inboxes (notifications.cassandra), every table one partition per recipient:

    - `inbox_lines`: the lines ("alice and 12 others liked your post"), by group id.
    - `inbox_order`: (sort_id DESC → group id), the inbox's order; a line that moves gets a new row
      and loses its old one (a reader skips a row whose sort_id is no longer its line's).
    - `inbox_actors`: who acted in each line, with when (acted_id, a time-ordered id).
    - `inbox_keys`: (group key → group ids), so the next like on a post finds its unread line.
    - `inbox_unread`: the unread lines' ids, newest first (the badge, and "mark all read").

    The interaction log (recommend.cassandra):

    - `interactions`: one partition per viewer, signals clustered by id (time) descending, each
      written with a TTL of the retention period, so old signals expire without a sweep.
    - `interactions_about`: (author → viewer, id) of the same signals, with the same TTL, so erasing
      an account finds the signals about it in other viewers' partitions without a scan.
    """
    return [
        f"""CREATE TABLE IF NOT EXISTS {keyspace}.timelines (
            user_id bigint,
            post_id bigint,
            author_id bigint,
            PRIMARY KEY ((user_id), post_id)
        ) WITH CLUSTERING ORDER BY (post_id DESC)
          AND compaction = {{'class': 'LeveledCompactionStrategy'}}""",
        f"""CREATE TABLE IF NOT EXISTS {keyspace}.post_timelines (
            post_id bigint,
            user_id bigint,
            author_id bigint,
            PRIMARY KEY ((post_id), user_id)
        )""",
        f"""CREATE TABLE IF NOT EXISTS {keyspace}.inbox_lines (
            recipient_id bigint,
            group_id bigint,
            kind text,
            group_key text,
            post_id bigint,
            comment_id bigint,
            text text,
            sort_id bigint,
            is_read boolean,
            updated_at timestamp,
            PRIMARY KEY ((recipient_id), group_id)
        ) WITH CLUSTERING ORDER BY (group_id DESC)""",
        f"""CREATE TABLE IF NOT EXISTS {keyspace}.inbox_order (
            recipient_id bigint,
            sort_id bigint,
            group_id bigint,
            PRIMARY KEY ((recipient_id), sort_id)
        ) WITH CLUSTERING ORDER BY (sort_id DESC)""",
        f"""CREATE TABLE IF NOT EXISTS {keyspace}.inbox_actors (
            recipient_id bigint,
            group_id bigint,
            actor_id bigint,
            acted_id bigint,
            PRIMARY KEY ((recipient_id), group_id, actor_id)
        )""",
        f"""CREATE TABLE IF NOT EXISTS {keyspace}.inbox_keys (
            recipient_id bigint,
            group_key text,
            group_id bigint,
            PRIMARY KEY ((recipient_id), group_key, group_id)
        )""",
        f"""CREATE TABLE IF NOT EXISTS {keyspace}.inbox_unread (
            recipient_id bigint,
            group_id bigint,
            PRIMARY KEY ((recipient_id), group_id)
        ) WITH CLUSTERING ORDER BY (group_id DESC)""",
        f"""CREATE TABLE IF NOT EXISTS {keyspace}.interactions (
            viewer_id bigint,
            id bigint,
            kind smallint,
            post_id bigint,
            author_id bigint,
            surface smallint,
            position smallint,
            dwell_ms int,
            model text,
            PRIMARY KEY ((viewer_id), id)
        ) WITH CLUSTERING ORDER BY (id DESC)""",
        f"""CREATE TABLE IF NOT EXISTS {keyspace}.interactions_about (
            author_id bigint,
            viewer_id bigint,
            id bigint,
            PRIMARY KEY ((author_id), viewer_id, id)
        )""",
    ]


def table_of(statement: str, keyspace: str) -> str:
    """The table a `schema` statement creates."""
    return statement.split(f"{keyspace}.", 1)[1].split(" ", 1)[0]


def migrate(settings: Settings) -> list[str]:
    """Create the keyspace and every table when missing; bring the keyspace's replication factor
    in line with the settings when it differs. Blocking. Returns what it did, one line each."""
    try:
        return _migrate(settings)
    except _UNAVAILABLE_ERRORS as exc:
        raise CassandraUnavailable(str(exc)) from exc


def _migrate(settings: Settings) -> list[str]:
    keyspace = keyspace_of(settings)
    factor = settings.cassandra_replication_factor
    session = connect(settings)
    done: list[str] = []
    replication = f"{{'class': 'SimpleStrategy', 'replication_factor': {factor}}}"
    existing = session.cluster.metadata.keyspaces.get(keyspace)
    if existing is None:
        session.execute(
            f"CREATE KEYSPACE IF NOT EXISTS {keyspace} WITH replication = {replication}",
            timeout=SCHEMA_TIMEOUT_SECONDS,
        )
        done.append(f"created keyspace {keyspace} (SimpleStrategy, replication factor {factor})")
    else:
        options = existing.replication_strategy.export_for_schema()
        if f"'replication_factor': '{factor}'" not in options or "SimpleStrategy" not in options:
            session.execute(
                f"ALTER KEYSPACE {keyspace} WITH replication = {replication}", timeout=SCHEMA_TIMEOUT_SECONDS
            )
            done.append(
                f"changed keyspace {keyspace} to SimpleStrategy, replication factor {factor} "
                "(run `nodetool repair` on every node)"
            )
    tables = session.cluster.metadata.keyspaces[keyspace].tables if existing is not None else {}
    for statement in schema(keyspace):
        name = table_of(statement, keyspace)
        if name not in tables:
            session.execute(statement, timeout=SCHEMA_TIMEOUT_SECONDS)
            done.append(f"created table {keyspace}.{name}")
    session.cluster.control_connection.wait_for_schema_agreement()
    return done


def drop_keyspace(settings: Settings) -> None:
    """Drop the settings' keyspace and everything in it (tests; never called by the app)."""
    connect(settings).execute(
        f"DROP KEYSPACE IF EXISTS {keyspace_of(settings)}", timeout=SCHEMA_TIMEOUT_SECONDS
    )


# --- one connection per process ------------------------------------------------------------------


@dataclass
class _Connection:
    cluster: Cluster
    session: Session
    prepared: dict[str, PreparedStatement] = field(default_factory=dict)


_connections: dict[tuple[tuple[str, ...], int], _Connection] = {}
_lock = threading.Lock()
_pid = os.getpid()


def _target(settings: Settings) -> tuple[tuple[str, ...], int]:
    return tuple(settings.cassandra_hosts), settings.cassandra_port


def _connection(settings: Settings) -> _Connection:
    """This process's connection to the settings' cluster, opened on first use (blocking)."""
    global _pid
    with _lock:
        if os.getpid() != _pid:  # a forked child: the parent's driver threads did not come along
            _connections.clear()
            _pid = os.getpid()
        target = _target(settings)
        found = _connections.get(target)
        if found is not None:
            return found
        profile = ExecutionProfile(
            load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy()),
            consistency_level=ConsistencyLevel.LOCAL_QUORUM,
            request_timeout=REQUEST_TIMEOUT_SECONDS,
        )
        cluster = Cluster(
            contact_points=list(target[0]),
            port=target[1],
            protocol_version=ProtocolVersion.V5,
            execution_profiles={EXEC_PROFILE_DEFAULT: profile},
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            reconnection_policy=ExponentialReconnectionPolicy(0.5, RECONNECT_MAX_DELAY_SECONDS),
        )
        try:
            session = cluster.connect()
        except _UNAVAILABLE_ERRORS as exc:
            cluster.shutdown()
            raise CassandraUnavailable(str(exc)) from exc
        found = _connections[target] = _Connection(cluster, session)
        return found


def connect(settings: Settings) -> Session:
    """This process's driver session for the settings' cluster (blocking on first use)."""
    return _connection(settings).session


def close_all() -> None:
    """Close every connection this process opened (they reopen on next use)."""
    with _lock:
        for connection in _connections.values():
            connection.cluster.shutdown()
        _connections.clear()


class Cassandra:
    """Asyncio access to one keyspace: prepared statements, single and concurrent execution."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.keyspace = keyspace_of(settings)

    async def _connection(self) -> _Connection:
        found = _connections.get(_target(self.settings))
        if found is not None and os.getpid() == _pid:
            return found
        return await asyncio.to_thread(_connection, self.settings)

    async def prepare(self, cql: str) -> PreparedStatement:
        """The statement prepared once per process; `{ks}` in it names the keyspace."""
        connection = await self._connection()
        cql = cql.replace("{ks}", self.keyspace)
        prepared = connection.prepared.get(cql)
        if prepared is None:
            try:
                prepared = await asyncio.to_thread(connection.session.prepare, cql)
            except _UNAVAILABLE_ERRORS as exc:
                raise CassandraUnavailable(str(exc)) from exc
            connection.prepared[cql] = prepared
        return prepared

    async def execute(self, cql: str, parameters: Sequence[Any] = ()) -> list[Any]:
        """Run one prepared statement; every row of the result (all pages), as named tuples."""
        statement = await self.prepare(cql)
        connection = await self._connection()
        return await _execute(connection.session, statement, parameters)

    async def execute_all(self, cql_and_parameters: Iterable[tuple[str, Sequence[Any]]]) -> list[list[Any]]:
        """Run many statements, CONCURRENCY at a time; their rows in the same order. Fails (once
        every statement has ended) if any failed."""
        work = [(await self.prepare(cql), parameters) for cql, parameters in cql_and_parameters]
        if not work:
            return []
        session = (await self._connection()).session
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(statement: PreparedStatement, parameters: Sequence[Any]) -> list[Any]:
            async with gate:
                return await _execute(session, statement, parameters)

        results = await asyncio.gather(*(one(s, p) for s, p in work), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return [result for result in results if not isinstance(result, BaseException)]


async def _execute(session: Session, statement: PreparedStatement, parameters: Sequence[Any]) -> list[Any]:
    """The driver's callback API bridged to the calling event loop, following every page."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[list[Any]] = loop.create_future()
    rows: list[Any] = []

    def settle(outcome: list[Any] | BaseException) -> None:
        if done.done():
            return
        if isinstance(outcome, BaseException):
            done.set_exception(outcome)
        else:
            done.set_result(outcome)

    try:
        response = session.execute_async(statement, parameters)
    except _UNAVAILABLE_ERRORS as exc:
        raise CassandraUnavailable(str(exc)) from exc

    def hand_back(outcome: list[Any] | BaseException) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody is waiting
            loop.call_soon_threadsafe(settle, outcome)

    def on_page(page: list[Any] | None) -> None:  # runs on the driver's thread; None for writes
        try:
            rows.extend(page or ())
            if response.has_more_pages:
                response.start_fetching_next_page()
                return
        except Exception as exc:  # anything raised here would leave the caller waiting forever
            hand_back(exc)
            return
        hand_back(rows)

    response.add_callbacks(on_page, hand_back)
    try:
        return await done
    except _UNAVAILABLE_ERRORS as exc:
        logger.warning("cassandra request failed: %s", exc)
        raise CassandraUnavailable(str(exc)) from exc
