# Shared by scripts/services/*: where each service keeps its data, pid and log, and small helpers.
# Every service listens on 127.0.0.1 only, on a fixed port away from the usual ones, with its data in
# $VIEWFINDER_SERVICES_DIR/<name> (default: a folder under /tmp), so nothing touches a system install.
set -euo pipefail

SERVICES_DIR="${VIEWFINDER_SERVICES_DIR:-${TMPDIR:-/tmp}/viewfinder-services}"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

POSTGRES_PORT="${VIEWFINDER_POSTGRES_PORT:-55432}"
REDIS_PORT="${VIEWFINDER_REDIS_PORT:-56379}"
S3_PORT="${VIEWFINDER_S3_PORT:-59000}"
CASSANDRA_PORT="${VIEWFINDER_CASSANDRA_PORT:-59042}"

service_dir() { echo "$SERVICES_DIR/$1"; }

# Runs apt-get install for the packages whose command is missing (as root, or through sudo).
apt_install() {
  local sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  # Wait for another apt run (a parallel service start) instead of failing on the dpkg lock.
  $sudo apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
    --no-install-recommends "$@" >/dev/null
}

# True when the process in the pid file is alive.
pid_alive() {
  local pidfile="$1"
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

# Waits up to $2 seconds for 127.0.0.1:$1 to accept connections.
wait_for_port() {
  local port="$1" seconds="${2:-60}"
  for _ in $(seq 1 $((seconds * 5))); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "nothing answered on 127.0.0.1:$port after ${seconds}s" >&2
  return 1
}

# Stops the process of a pid file (TERM, then KILL after $2 seconds) and removes the file.
stop_pid() {
  local pidfile="$1" seconds="${2:-20}"
  if pid_alive "$pidfile"; then
    local pid
    pid="$(cat "$pidfile")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 $((seconds * 5))); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}
