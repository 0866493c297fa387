#!/usr/bin/env bash
# `make test`: lint (ruff, import-linter layers), then unit and integration tests against the real local platform.
# Starts the platform when it is not running and stops it again afterwards (leaves it as found).
set -uo pipefail
cd "$(dirname "$0")/../.."
GOVLAKE=.venv/bin/govlake
PY=.venv/bin/python

was_up=0
$GOVLAKE status >/dev/null 2>&1 && was_up=1

echo "== lint (ruff)"
$PY -m ruff check . || exit 1

echo "== layers (import-linter contracts in pyproject.toml)"
.venv/bin/lint-imports --no-cache || exit 1

if [ "$was_up" = 0 ]; then
  echo "== platform up (for the integration tests)"
  $GOVLAKE up || exit 1
  .venv/bin/govlake-sim up || exit 1
fi

echo "== pytest"
$PY -m pytest "$@"
rc=$?

if [ "$was_up" = 0 ]; then
  echo "== platform down (it was not running before the tests)"
  .venv/bin/govlake-sim down
  $GOVLAKE down
  # `down` must leave no process of this checkout behind
  left=$(pgrep -af -- "$PWD/.state" | grep -v pgrep || true)
  # Airflow's processes retitle themselves ("airflow scheduler -- …"): find them by their AIRFLOW_HOME
  for env in $(grep -lasz "^AIRFLOW_HOME=$PWD/.state/airflow$" /proc/[0-9]*/environ 2>/dev/null); do
    pid=${env#/proc/}; pid=${pid%/environ}
    [ "$pid" != "$$" ] && left="$left"$'\n'"$pid $(tr '\0' ' ' < /proc/$pid/cmdline 2>/dev/null)"
  done
  left=$(echo "$left" | sed '/^\s*$/d')
  if [ -n "$left" ]; then
    echo "error: processes of this checkout survived 'govlake down':"; echo "$left"; rc=1
  fi
fi
exit $rc
