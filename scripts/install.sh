#!/usr/bin/env bash
# Create or update the project's venv: torch first and pinned exactly (anything that depends on it
# would otherwise pull a CUDA build), then the project with its cpu and test extras. pip's output
# goes to VENV/install.log; one line is printed, and the log's end when the install fails.
# Usage: scripts/install.sh PYTHON VENV
set -uo pipefail

python="$1"
venv="$2"
log="$venv/install.log"
echo "installing into $venv (log: $log)"
test -x "$venv/bin/python" || "$python" -m venv "$venv" || exit 1
{
    scripts/pip_install.sh "$venv/bin/python" -q --upgrade pip &&
    scripts/pip_install.sh "$venv/bin/python" -q torch==2.13.0 &&
    scripts/pip_install.sh "$venv/bin/python" -q -e '.[cpu,test]'
} > "$log" 2>&1
status=$?
if [ "$status" -ne 0 ]; then
    tail -n 40 "$log" >&2
    echo "install failed (exit $status); full log: $log" >&2
fi
exit "$status"
