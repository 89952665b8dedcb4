#!/usr/bin/env bash
# `pip install ARGS...` that survives a flaky package registry: pip resumes an interrupted
# download (up to 20 times, pip >= 25.1) and retries each connection; when pip still fails,
# the whole install runs again, up to 3 times, 15 s apart. Exits with pip's last status.
# Usage: scripts/pip_install.sh PYTHON ARGS...
set -uo pipefail

python="$1"
shift
export PIP_RETRIES="${PIP_RETRIES:-10}"
export PIP_RESUME_RETRIES="${PIP_RESUME_RETRIES:-20}"
export PIP_TIMEOUT="${PIP_TIMEOUT:-60}"

status=1
for attempt in 1 2 3; do
    "$python" -m pip install "$@" && exit 0
    status=$?
    echo "pip install failed (attempt $attempt of 3, exit $status)" >&2
    [ "$attempt" -lt 3 ] && sleep 15
done
exit "$status"
