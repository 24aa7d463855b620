#!/usr/bin/env bash
# Makes sure `uv` (the Python package manager the project's lock file is for) is available,
# installing a pinned copy into .tools/ from PyPI when it is not on PATH. Prints uv's path.
set -euo pipefail
UV_VERSION="0.13.9"
cd "$(dirname "$0")/.."

if command -v uv >/dev/null 2>&1; then
  command -v uv
  exit 0
fi
if [ ! -x .tools/bin/uv ]; then
  if ! python3 -m venv .tools >/dev/null 2>&1; then
    # Debian ships venv separately; install it when we can (root), else say what is missing.
    rm -rf .tools
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      apt-get update -qq >&2 && apt-get install -y -qq python3-venv >&2
      python3 -m venv .tools >&2
    else
      echo "python3 -m venv failed: install python3-venv (sudo apt-get install python3-venv)" >&2
      exit 1
    fi
  fi
  .tools/bin/pip install --quiet --disable-pip-version-check "uv==${UV_VERSION}" >&2
fi
echo "$PWD/.tools/bin/uv"
