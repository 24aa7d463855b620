"""One typed settings object, read from ``VIEWFINDER_*`` environment variables.

Defaults are the embedded, one-machine ones. The environment defaults to production so that
forgetting a setting fails safe: production refuses to start with the development secret key.
"""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Used only when VIEWFINDER_ENV is development or test and no key is given.
DEVELOPMENT_SECRET_KEY = "viewfinder-development-secret-key-never-use-in-production"  # noqa: S105 (public on purpose)
MINIMUM_SECRET_KEY_LENGTH = 32
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})

logger = logging.getLogger("viewfinder.settings")


class ConfigurationError(RuntimeError):
    """The settings cannot be used to start this process."""


class Settings(BaseSettings):
    """Every setting Viewfinder reads, with its embedded default."""

    model_config = SettingsConfigDict(env_prefix="VIEWFINDER_", extra="ignore")

    env: Literal["development", "test", "production"] = "production"
    """development and test allow the built-in secret key; production never does."""
    debug: bool = False
    """Turns off Secure cookies (plain-HTTP development) and adds detail to logs."""
    secret_key: SecretStr | None = None
    """Signs cursors and media URLs. Required, and at least 32 characters, in production."""
    encryption_keys: SecretStr | None = None
    """Root keys of encryption at rest: comma-separated `<key id>:<base64url 32 bytes>`, the first
    current, older ones kept until `viewfinder rotate-keys` has re-wrapped the data keys
    (`viewfinder generate-key` makes one). Unset: one derived from the secret key
    (docs/decisions/0035-encryption-at-rest.md)."""

    data_dir: Path = Path("var")
    """Every piece of embedded state (database, job queue, media) lives under this folder."""
    database_url: str | None = None
    """SQLAlchemy async URL; defaults to SQLite in WAL mode under data_dir. For PostgreSQL:
    postgresql+psycopg://user:password@host:5432/viewfinder."""
    database_replica_url: str | None = None
    """A read replica of database_url (PostgreSQL streaming replication): read-only requests (GET,
    HEAD) read from it; their writes (a session's last-seen time, a profile visit) and everything
    after them in that request go to the primary, as do all other requests, jobs and migrations.
    Replication lag means a GET may not yet see a write made just before; see
    docs/decisions/0021-postgresql.md."""
    database_pool_size: int = Field(default=10, ge=1)
    """Connections each process keeps open to a PostgreSQL server (plus database_max_overflow)."""
    database_max_overflow: int = Field(default=10, ge=0)
    """Extra connections a process may open beyond the pool under a burst, closed when returned."""
    jobs_database_path: Path | None = None
    """The job queue's own SQLite file, so it never contends with the main database's lock."""
    jobs_immediate: bool = False
    """Run background jobs inline in the caller (tests)."""

    public_url: str = "http://127.0.0.1:8000"
    """The address people reach this instance at; absolute links are built from it."""
    search_engine_indexing: bool = True
    """Whether search engines are invited: robots.txt lets them index public profiles and posts and
    names /sitemap.xml, which lists public accounts. False: robots.txt asks every crawler to index
    nothing and there is no sitemap (link previews in chat apps still work)."""
    media_base_url: str | None = None
    """Where media is served from: a CDN host in production; defaults to public_url + /media."""
    edge_purge_url: str | None = None
    """The edge cache's purge listener (deploy/nginx.conf's second server, e.g. http://127.0.0.1:58081):
    media that stop being public (a post removed or deleted, an account banned, suspended, closed or
    gone private) are refreshed there so the edge stops serving them. Unset: no edge to purge."""
    allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["127.0.0.1", "localhost"])
    """Host headers this instance answers; comma-separated in the environment; '*' for any."""
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Proxies (addresses or CIDR networks, comma-separated) whose X-Forwarded-For/-Proto are believed;
    set it to nginx's address (e.g. 127.0.0.1) so rate limits see each client's own address."""
    access_log: bool = True
    """One line per request on the `viewfinder.access` logger (method, path, status, duration, client,
    user; never cookies, tokens or signatures); see docs/deploy.md."""

    web_dir: Path = Path(__file__).resolve().parent.parent / "frontend" / "dist"
    """The built web app (`make web`), served at / with deep links answered by its index.html."""

    store_backend: Literal["memory", "file", "redis"] = "memory"
    """Backend of Litestar's stores (rate limits, caches); "redis" needs redis_url."""
    redis_url: str | None = None
    """redis://host:6379/0 — with it, real-time delivery crosses processes through Redis channels."""
    redis_namespace: str = Field(default="viewfinder", pattern=r"^[A-Za-z0-9_.-]+$")
    """Prefix of every Redis key, channel and queue of this instance, so instances (or test runs)
    can share one Redis server."""
    jobs_backend: Literal["sqlite", "redis"] = "sqlite"
    """The job queue: its own SQLite file, or Redis (redis_url) for workers on many machines."""
    rate_limit_fail_open: bool = True
    """When the rate-limit store is unreachable: True lets requests through, False refuses them (503)."""

    media_backend: Literal["local", "s3"] = "local"
    """Where media bytes live: data_dir/media, or an S3-compatible bucket (AWS S3, MinIO, R2...)."""
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    """The S3 API endpoint; empty for AWS itself."""
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None

    session_max_age_seconds: int = 30 * 24 * 3600
    login_failure_limit: int = 10
    """Log-in attempts one address may make on one account per window (a success clears them)."""
    login_failure_window_seconds: int = 15 * 60
    login_address_failure_limit: int = Field(default=30, ge=1)
    """Failed log-ins one address may make across all accounts per window (password spraying)."""
    login_account_free_failures: int = Field(default=5, ge=1)
    """Failed log-ins an account takes per window, from anywhere, before it slows down: then
    addresses it was never used from must wait a growing delay between attempts (never a wall)."""
    login_account_delay_max_seconds: int = Field(default=5, ge=1)
    """The longest such delay (Retry-After); see docs/decisions/0028-account-safety.md."""
    reauthentication_seconds: int = Field(default=10 * 60, ge=1)
    """"Sudo mode": how long after entering the password a session may create API tokens (and do
    other sensitive actions) without being asked again."""
    auth_cache_seconds: int = Field(default=30, ge=0, le=3600)
    """How long a web process reuses a session's or API token's look-up (0: never). A log-out, a
    revocation, a password change or any change of the account drops it at once in every process
    (docs/decisions/0042-auth-cache.md)."""
    security_event_retention_days: int = Field(default=365, ge=1)
    """How long an account's security log (log-ins, password changes, tokens...) is kept."""
    data_export_expiry_hours: int = Field(default=96, ge=1)
    """How long a "download your information" ZIP can be downloaded before it is deleted."""
    data_export_daily_limit: int = Field(default=1, ge=1)
    """Data exports one account may request per 24 hours (failed ones do not count)."""
    account_deletion_grace_days: int = Field(default=30, ge=0)
    """Days between asking to delete an account and its deletion; logging in meanwhile cancels it."""
    signup_limit_per_ip: int = 20
    signup_window_seconds: int = 3600
    token_creation_limit: int = 10
    token_creation_window_seconds: int = 3600
    new_account_days: int = Field(default=3, ge=0)
    """For this many days after sign-up an account is new: it may write only so many links,
    mentions and follows an hour (the limits below; 0 turns them off). See
    docs/decisions/0053-automatic-rules-and-new-account-limits.md."""
    new_account_links_per_hour: int = Field(default=5, ge=0)
    """Links (web addresses) a new account may write per hour in captions, comments and its bio."""
    new_account_mentions_per_hour: int = Field(default=20, ge=0)
    """@mentions a new account may write per hour in captions and comments."""
    new_account_follows_per_hour: int = Field(default=30, ge=0)
    """Accounts a new account may follow (or ask to follow) per hour."""
    pdq_max_distance: int = Field(default=31, ge=0, le=31)
    """Known-bad media: an upload whose PDQ hash is within this Hamming distance (of 256 bits) of a
    listed hash is refused with 451 (docs/decisions/0063-known-bad-media-pdq.md)."""
    pdq_min_quality: int = Field(default=50, ge=0, le=100)
    """Known-bad media: listed hashes, and upload hashes, of a lower PDQ quality are never matched."""
    spam_enabled: bool = True
    """Judge captions, comments, display names and bios with the spam model (viewfinder.detection.spam,
    docs/decisions/0062); without a model file the staff's rules alone apply."""
    spam_model_path: Path | None = None
    """The spam model file; unset: the newest data_dir/models/spam-*.joblib (`viewfinder ml train-spam`)."""
    spam_flag_threshold: float = Field(default=0.5, ge=0.0, le=1.01)
    """A spam score from here publishes the text and opens a moderation case."""
    spam_hold_threshold: float = Field(default=0.8, ge=0.0, le=1.01)
    """A spam score from here holds the text for review (its author alone sees it, with the reason)."""
    spam_refuse_threshold: float = Field(default=1.01, ge=0.0, le=1.01)
    """A spam score from here refuses the write (422); above 1 (the default), nothing is refused."""
    nsfw_scan: bool = True
    """Score every photo and video keyframe with open_nsfw in the media job (viewfinder.detection.nsfw)."""
    nsfw_sensitive_threshold: float = Field(default=0.8, ge=0.0, le=1.0)
    """A post with a media item scoring at least this is marked sensitive (shown behind a tap-to-view
    warning; its author cannot unmark it, staff can reverse it). docs/decisions/0064."""
    nsfw_hold_threshold: float = Field(default=0.95, ge=0.0, le=1.0)
    """A post with a media item scoring at least this is held for review (its author alone sees it)
    and a moderation case is opened with the score; it is marked sensitive too."""

    smtp_host: str | None = None
    """The SMTP server that sends mail (verification, password reset, security alerts). Unset: no
    mail is sent (production warns; `serve` in development starts a local server writing to
    data_dir/mail). See docs/decisions/0034-email.md."""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    """starttls (port 587), tls (implicit TLS, port 465), or none: plain text, which production
    allows only to a server on this machine (a local relay)."""
    smtp_from: str | None = None
    """The From address, e.g. "Viewfinder <no-reply@example.com>"; defaults to no-reply@ the host of
    public_url."""
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    email_verification_hours: int = Field(default=48, ge=1)
    """How long a link that confirms an email address (at sign-up or to change it) stays valid."""
    email_verification_resend_limit: int = Field(default=3, ge=1)
    """Verification emails an account may ask for again per hour."""
    email_change_limit: int = Field(default=5, ge=1)
    """Email address changes an account may ask for per hour."""
    password_reset_minutes: int = Field(default=60, ge=1)
    """How long a password reset link stays valid."""
    password_reset_limit_per_ip: int = Field(default=10, ge=1)
    """Password resets one address may ask for per hour (429 beyond, whatever the account)."""
    password_reset_limit_per_account: int = Field(default=3, ge=1)
    """Reset emails one account receives per hour; further asks are answered alike and send nothing."""
    email_link_attempt_limit_per_ip: int = Field(default=30, ge=1)
    """Emailed links (verification, reset, revert) one address may try per hour."""

    avatar_max_bytes: int = 10 * 1024 * 1024
    photo_max_bytes: int = 50 * 1024 * 1024
    video_max_bytes: int = 500 * 1024 * 1024
    """Largest video upload (MP4, MOV or WebM) accepted; photos keep photo_max_bytes."""
    video_max_seconds: int = 600
    """Longest video accepted, in seconds."""
    signed_url_ttl_seconds: int = 6 * 3600
    """How long a signed URL to a private account's media stays valid (rounded up to the hour)."""
    media_processing_lease_seconds: int = Field(default=15, ge=1)
    """A media item whose worker has not renewed its hold for this long (workers renew what they
    hold every job_heartbeat_seconds) is taken to be abandoned and processed again by another."""
    media_queued_lease_seconds: int = Field(default=300, ge=1)
    """A media item still waiting for its job this long after it was queued is queued again (the
    job was lost: a queue emptied, a worker killed between taking the job and starting it)."""
    max_image_pixels: int = 100_000_000
    json_max_body_bytes: int = 2 * 1024 * 1024
    api_gzip_level: int = Field(default=4, ge=0, le=9)
    """How hard API answers (JSON) are gzipped for clients that accept it; 0 leaves it to a proxy in
    front (docs/decisions/0078). A feed page is ~57 KB of JSON, ~8 KB gzipped: on a phone's
    connection that is most of a round trip. Level 4 costs ~0.3 ms a page."""

    shard_id: int = Field(default=0, ge=0, lt=1 << 13)
    """First logical shard for IDs made on this machine; each process claims the next free one.

    Machines that share a database need shard ranges far apart (e.g. 0, 1000, 2000)."""
    web_workers: int | None = Field(default=None, ge=1)
    """Web processes `serve` starts; unset: one per core. With more than one, `serve` keeps the rate
    limits in a store they share (Redis when redis_url is set, else files under data_dir) even if
    store_backend says "memory"."""
    web_read_concurrency: int | None = Field(default=None, ge=0)
    """API reads (GET, HEAD) one web process works on at once; the others wait their turn, while
    writes, health checks, media and streams pass at once (docs/decisions/0057). Unset: 1 on SQLite
    (its reads run in the event loop, so one at a time keeps the core busy), 3 on PostgreSQL (its
    reads also wait on the network; decision 0066 measured 2, 3 and 8). 0: no limit."""
    job_workers: int = Field(default=2, ge=1)
    job_retry_max_delay_seconds: int = Field(default=300, ge=1)
    """A job whose service (the database, Cassandra, Redis, the media storage) is unavailable is
    tried again, the wait doubling up to this, for as long as the outage lasts (decision 0037)."""
    job_heartbeat_seconds: float = Field(default=2.0, gt=0)
    """How often each job consumer records that it is alive and renews what its workers hold."""
    job_consumer_timeout_seconds: int = Field(default=15, ge=1)
    """A consumer not heard from for this long counts as dead (/readyz is then not ready)."""
    job_stall_seconds: int = Field(default=300, ge=1)
    """/readyz is not ready when jobs wait and no consumer has taken one for this long."""

    timeline_backend: Literal["sql", "cassandra"] = "sql"
    """Where home timelines live: the main database, or Cassandra (`viewfinder cassandra-migrate`
    first; docs/decisions/0024)."""
    inbox_backend: Literal["sql", "cassandra"] = "sql"
    """Where notification inboxes live: the main database, or Cassandra (`viewfinder
    cassandra-migrate` first), fed through the `inbox_changes` outbox (docs/decisions/0026)."""
    interaction_backend: Literal["sql", "cassandra"] = "sql"
    """Where the interaction log (what each account was shown and did, for recommendations) lives:
    the main database, or Cassandra (`viewfinder cassandra-migrate` first; docs/decisions/0068)."""
    interaction_retention_days: int = Field(default=90, ge=1, le=3650)
    """Interaction signals older than this are dropped (hourly on SQL; by TTL on Cassandra)."""
    for_you_suggested_share: float = Field(default=1 / 3, ge=0.0, le=0.9)
    """The share of "For you" (the home feed's for_you mode) given to suggested posts of accounts the
    viewer does not follow (Instagram shows about one in three)."""
    recommender_window_days: int = Field(default=60, ge=1, le=3650)
    """The recommender (retrained hourly by the worker) learns from this many recent days of the
    interaction log (docs/decisions/0069)."""
    recommender_ranker: bool = True
    """Fit the learned ranking model with it when the log holds enough impressions (decision 0074);
    false: Explore and For you keep the hand-set blend."""
    cassandra_hosts: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["127.0.0.1"])
    """Contact points of the Cassandra cluster; comma-separated in the environment."""
    cassandra_port: int = 9042
    cassandra_keyspace: str = "viewfinder"
    cassandra_replication_factor: int = Field(default=1, ge=1)
    """SimpleStrategy replication factor used when `viewfinder cassandra-migrate` creates the keyspace."""
    feed_fanout_threshold: int = Field(default=10_000, ge=1)
    """Authors with at least this many followers are not fanned out but merged in at read time."""
    feed_fanout_batch: int = Field(default=1000, ge=1)
    """Timeline rows written per batch when a post is fanned out."""
    timeline_max_entries: int = Field(default=800, ge=1)
    """Each timeline keeps at most this many entries (older ones are trimmed)."""
    timeline_page_cache_seconds: int = Field(default=300, ge=0)
    """On Cassandra with the stores in Redis: how long Redis keeps the top of a timeline a viewer
    read (dropped at once by any change to it; 0 turns the cache off; decision 0076)."""
    feed_backfill_posts: int = Field(default=20, ge=0)
    """On follow, this many of the author's recent posts join the follower's timeline."""
    realtime_poll_interval_ms: int = Field(default=200, ge=10)
    """How often each web process reads the real-time outbox."""
    realtime_retention_seconds: int = Field(default=300, ge=10)
    """Outbox rows older than this are pruned."""

    @field_validator("allowed_hosts", "cassandra_hosts", "trusted_proxies", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return [host.strip() for host in value.split(",") if host.strip()]
        return value

    @field_validator("encryption_keys", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """`VIEWFINDER_ENCRYPTION_KEYS=` (as deploy/viewfinder.env.example leaves it) means none set."""
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'viewfinder.db'}"

    @property
    def resolved_web_workers(self) -> int:
        """The web processes `serve` starts: web_workers, or one per core."""
        return self.web_workers or os.cpu_count() or 1

    @property
    def resolved_web_read_concurrency(self) -> int:
        if self.web_read_concurrency is not None:
            return self.web_read_concurrency
        return 1 if self.resolved_database_url.startswith("sqlite") else 3

    @property
    def resolved_jobs_database_path(self) -> Path:
        return self.jobs_database_path or self.data_dir / "jobs.db"

    @property
    def id_shard_lock_dir(self) -> Path:
        return self.data_dir / "id-shards"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def resolved_media_base_url(self) -> str:
        return (self.media_base_url or self.page_url("/media")).rstrip("/")

    def page_url(self, path: str) -> str:
        """The absolute address of a page of this instance (`path` starts with /)."""
        return self.public_url.rstrip("/") + path

    @property
    def secret(self) -> str:
        """The secret key in force; development and test fall back to a fixed key."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        return DEVELOPMENT_SECRET_KEY

    @property
    def secure_cookies(self) -> bool:
        return not self.debug

    def check(self) -> None:
        """Refuse settings that are unsafe for this environment."""
        if self.env == "production":
            key = self.secret_key.get_secret_value() if self.secret_key else ""
            if not key or key == DEVELOPMENT_SECRET_KEY:
                raise ConfigurationError(
                    "VIEWFINDER_SECRET_KEY must be set in production "
                    "(or set VIEWFINDER_ENV=development for a local try-out)."
                )
            if len(key) < MINIMUM_SECRET_KEY_LENGTH:
                raise ConfigurationError(
                    f"VIEWFINDER_SECRET_KEY must be at least {MINIMUM_SECRET_KEY_LENGTH} characters."
                )
            if self.debug:
                raise ConfigurationError("VIEWFINDER_DEBUG must be off in production.")
            if self.encryption_keys is None:
                logger.warning(
                    "VIEWFINDER_ENCRYPTION_KEYS is not set: data at rest is encrypted under a key derived "
                    "from VIEWFINDER_SECRET_KEY, so changing that key would lock it; set one made by "
                    "`viewfinder generate-key` and run `viewfinder rotate-keys` (docs/deploy.md)."
                )
            if self.smtp_host and self.smtp_security == "none" and self.smtp_host not in LOOPBACK_HOSTS:
                raise ConfigurationError(
                    "VIEWFINDER_SMTP_SECURITY=none sends mail (password reset links) in plain text: in "
                    "production use starttls or tls, or a relay on this machine (127.0.0.1)."
                )
        if self.encryption_keys is not None:
            from viewfinder.core.crypto import parse_root_keys

            parse_root_keys(self.encryption_keys.get_secret_value())  # malformed keys: refuse now
        for warning in self.mail_warnings():
            logger.warning(warning)

    @property
    def mail_configured(self) -> bool:
        """Whether mail is sent at all (an SMTP server is set)."""
        return bool(self.smtp_host)

    def mail_warnings(self) -> list[str]:
        """What is missing for mail in this environment: production without an SMTP server runs,
        but sends no verification, password reset or alert email (docs/decisions/0034-email.md)."""
        if self.env == "production" and not self.smtp_host:
            return [
                "VIEWFINDER_SMTP_HOST is not set: no email is sent, so nobody can verify an address, "
                "reset a forgotten password or hear of a log-in from a new device."
            ]
        return []


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
