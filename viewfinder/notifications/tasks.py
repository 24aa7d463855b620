"""Background jobs of this domain (registered on the Huey queue in viewfinder.core.jobs)."""

from __future__ import annotations
