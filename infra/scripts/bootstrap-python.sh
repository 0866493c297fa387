#!/usr/bin/env bash
# Python environment from uv.lock: installs the pinned uv if missing, then syncs the venv.
# Warm runs are offline (no network request) and take well under a second.
set -euo pipefail
UV_VERSION="${UV_VERSION:-0.13.8}"
cd "$(dirname "$0")/../.."

find_uv() {
  for c in "$(command -v uv 2>/dev/null || true)" "$HOME/.local/bin/uv"; do
    if [ -n "$c" ] && [ -x "$c" ] && [ "$("$c" --version 2>/dev/null | awk '{print $2}')" = "$UV_VERSION" ]; then
      echo "$c"; return 0
    fi
  done
  return 1
}

if ! UV=$(find_uv); then
  echo "installing uv $UV_VERSION from PyPI (user site) …"
  python3 -m pip install --quiet --user --disable-pip-version-check "uv==$UV_VERSION"
  UV=$(find_uv) || { echo "error: uv $UV_VERSION was installed but is not runnable" >&2; exit 1; }
fi

export UV_PYTHON_DOWNLOADS=never
if "$UV" sync --frozen --offline --quiet 2>/dev/null; then
  echo "python env: in sync with uv.lock (offline)"
else
  echo "python env: syncing from uv.lock (first run downloads wheels; pyspark builds from its sdist) …"
  "$UV" sync --frozen
fi
