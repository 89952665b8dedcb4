#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests (tests/ui) when it is not there yet.
# Idempotent: does nothing when /usr/bin/chromium exists. Playwright drives it through
# `executable_path`, so no browser download (`playwright install`) is needed.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    /usr/bin/chromium --version
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
/usr/bin/chromium --version
