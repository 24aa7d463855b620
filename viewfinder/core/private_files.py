"""The data directory is its owner's alone: the database (password hashes, sessions, messages),
the job queue, media of private accounts and the stores are readable by no other account of the
machine.

Everything a `viewfinder` command creates is made under a umask of 077 (folders 0700, files 0600;
SQLite gives its -wal and -shm files the database file's mode). `tighten` brings a data directory
made by an earlier version into line: the folder itself becomes 0700, which alone closes every
file below it to others, and the files and folders directly in it (the databases, media/, stores/)
lose their group and other bits too. The tree below is not walked: a media folder can hold
millions of files, and it is unreachable once its parents are closed.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from sqlalchemy.engine import make_url

from viewfinder.settings import Settings

PRIVATE_UMASK = 0o077
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def create_privately() -> None:
    """Make every file and folder this process creates from now on private to its owner."""
    os.umask(PRIVATE_UMASK)


def _close(path: Path) -> bool:
    """Drop the group and other bits of one file or folder (not following links); True if changed."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(mode) or not mode & 0o077:
        return False
    with contextlib.suppress(PermissionError):  # not ours: leave it to its owner
        path.chmod(stat.S_IMODE(mode) & 0o700)
        return True
    return False


def sqlite_files(settings: Settings) -> list[Path]:
    """The SQLite files of this instance wherever they are: the main database (when it is SQLite)
    and the job queue, each with its journal files."""
    databases = [settings.resolved_jobs_database_path]
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        databases.append(Path(url.database))
    return [
        database.with_name(database.name + suffix) for database in databases for suffix in SQLITE_COMPANIONS
    ]


def tighten(settings: Settings) -> list[Path]:
    """Close an existing data directory and the SQLite files to everyone but their owner; the
    paths whose mode changed."""
    changed: list[Path] = []
    data_dir = settings.data_dir
    if data_dir.is_dir():
        candidates = [data_dir, *sorted(data_dir.iterdir())]
        changed += [path for path in candidates if _close(path)]
    changed += [path for path in sqlite_files(settings) if path not in changed and _close(path)]
    return changed
