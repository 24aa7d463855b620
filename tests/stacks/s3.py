"""The s3 part of the scale-out test stack (see tests/stacks/__init__.py).

Active when `VIEWFINDER_MEDIA_BACKEND=s3` is exported (`eval "$(scripts/services/s3 env)"`): each test
gets a bucket of its own on that S3 server, created before it runs, then emptied and deleted when it
ends, so tests never see each other's media and the server does not grow over a run.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from viewfinder.mediakit.storage import S3MediaStorage, s3_client

ACTIVE = os.environ.get("VIEWFINDER_MEDIA_BACKEND") == "s3"
_RUN = uuid.uuid4().hex[:6]
_numbers = itertools.count()


def connection() -> dict[str, Any]:
    """Where the S3 server is, as settings (the service script's defaults when not exported)."""
    return {
        "s3_endpoint_url": os.environ.get("VIEWFINDER_S3_ENDPOINT_URL", "http://127.0.0.1:59000"),
        "s3_region": os.environ.get("VIEWFINDER_S3_REGION", "us-east-1"),
        "s3_access_key_id": os.environ.get("VIEWFINDER_S3_ACCESS_KEY_ID", "test"),
        "s3_secret_access_key": os.environ.get("VIEWFINDER_S3_SECRET_ACCESS_KEY", "test"),
    }


def new_bucket_name(worker: str) -> str:
    """A bucket name no other test process or run uses (lower case, digits and hyphens)."""
    return f"vf-test-{_RUN}-{worker.lower()}-{next(_numbers)}"


def remove_bucket(bucket: str, settings: dict[str, Any]) -> None:
    """Delete every object in the bucket, then the bucket (nothing to do when it is gone)."""
    client = s3_client(
        settings["s3_endpoint_url"],
        settings["s3_region"],
        settings["s3_access_key_id"],
        settings["s3_secret_access_key"],
    )
    try:
        while True:
            listed = client.list_objects_v2(Bucket=bucket, MaxKeys=1000)
            keys = [{"Key": item["Key"]} for item in listed.get("Contents", [])]
            if not keys:
                break
            client.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
        client.delete_bucket(Bucket=bucket)
    except client.exceptions.NoSuchBucket:
        pass


@contextmanager
def temporary_bucket(worker: str) -> Iterator[dict[str, Any]]:
    """A new, empty bucket on the S3 server, as settings overrides; emptied and deleted afterwards."""
    settings = connection()
    bucket = new_bucket_name(worker)
    S3MediaStorage(
        bucket,
        "http://unused.invalid/media",
        endpoint_url=settings["s3_endpoint_url"],
        region=settings["s3_region"],
        access_key_id=settings["s3_access_key_id"],
        secret_access_key=settings["s3_secret_access_key"],
    ).create_bucket()
    try:
        yield {"media_backend": "s3", "s3_bucket": bucket, **settings}
    finally:
        remove_bucket(bucket, settings)


@contextmanager
def for_test(test_name: str, worker: str) -> Iterator[dict[str, Any]]:
    """Settings overrides isolating one test in a bucket of its own; removed when the test ends."""
    if not ACTIVE:
        yield {}
        return
    with temporary_bucket(worker) as overrides:
        yield overrides
