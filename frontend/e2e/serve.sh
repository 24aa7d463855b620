#!/usr/bin/env bash
# The server of an end-to-end run: a fresh data folder, migrations, a little demo content, then
# `viewfinder serve` (web + job worker) on 127.0.0.1:$1 with the built app (frontend/dist).
set -euo pipefail
cd "$(dirname "$0")/../.."
port="$1"
data="frontend/test-results/e2e-data"
rm -rf "$data" && mkdir -p "$data"
export VIEWFINDER_ENV=development VIEWFINDER_DEBUG=true VIEWFINDER_DATA_DIR="$data" \
  VIEWFINDER_PUBLIC_URL="http://127.0.0.1:$port" VIEWFINDER_SIGNUP_LIMIT_PER_IP=10000 VIEWFINDER_LOGIN_FAILURE_LIMIT=10000 \
  VIEWFINDER_WEB_DIR="frontend/dist"
# Playwright prints the server's standard error; one access-log line per request would bury the results.
export VIEWFINDER_ACCESS_LOG=false
.venv/bin/viewfinder migrate
.venv/bin/viewfinder demo --users 12 --posts 36 --photos 12
exec .venv/bin/viewfinder serve --host 127.0.0.1 --port "$port"
