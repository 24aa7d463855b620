#!/usr/bin/env bash
# Debian's Chromium (and a font) for the end-to-end tests: browser downloads do not work here, so the
# tests drive the distribution's build. Does nothing when it is already installed.
set -euo pipefail
if [ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi dejavu; then
  exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core fontconfig >/dev/null
