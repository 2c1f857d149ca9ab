#!/usr/bin/env bash
# One-command setup of the Python venv that serves two purposes:
#  * the reference libraries used by tools/golden/*.py to (re)generate the JSON fixtures;
#  * libtorch 2.9.0 for burn's `tch` backend (built with LIBTORCH_USE_PYTORCH=1).
# The venv lives in a cache path outside the repo and is reused when already complete.
# Usage: scripts/setup-torch-venv.sh [--with-fixtures]    (prints the venv path on its last line)
set -euo pipefail
VENV="${BURN_LOSSES_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/burn-losses/torch-venv}"
PY="${PYTHON:-python3}"
want_fixtures=0
[ "${1:-}" = "--with-fixtures" ] && want_fixtures=1
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ ! -x "$VENV/bin/python" ]; then
  mkdir -p "$(dirname "$VENV")"
  "$PY" -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import torch, sys; sys.exit(torch.__version__.split("+")[0] != "2.9.0")' 2>/dev/null; then
  "$VENV/bin/pip" install -q --disable-pip-version-check torch==2.9.0 >&2
fi
if [ $want_fixtures = 1 ]; then
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$here/../tools/golden/requirements.txt" >&2
fi
echo "$VENV"
