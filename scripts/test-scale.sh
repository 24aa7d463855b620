#!/usr/bin/env bash
# The back-end suite on the scale-out stack: starts PostgreSQL, Redis, an S3 server and Cassandra on
# loopback (scripts/services/*), runs pytest against them, and stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
# One run at a time on a machine: a second run would stop the services the first still uses.
exec 9>"${TMPDIR:-/tmp}/viewfinder-test-scale.lock"
flock 9
services=(postgres redis s3 cassandra)
started=()
cleanup() {
  for name in "${started[@]}"; do scripts/services/"$name" stop || true; done
}
trap cleanup EXIT
for name in "${services[@]}"; do
  if ! scripts/services/"$name" status >/dev/null 2>&1; then started+=("$name"); fi
  scripts/services/"$name" start
  eval "$(scripts/services/"$name" env)"
done
VIEWFINDER_TEST_STACK=scale .venv/bin/pytest -n auto "$@"
