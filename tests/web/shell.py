"""An app serving a given index.html as its built web app, for the tests of what the server writes
into the page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from litestar import Litestar

from viewfinder.app import create_app
from viewfinder.core import ids
from viewfinder.settings import Settings


def app_serving(shell: str, settings: Settings, tmp_path: Path) -> Iterator[Litestar]:
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "index.html").write_text(shell)
    yield create_app(settings.model_copy(update={"web_dir": dist}))
    ids.release_shard()
