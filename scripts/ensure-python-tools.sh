#!/usr/bin/env bash
# Installs the Python test tools (moto server, cfn-lint) from requirements-dev.txt when a pinned one is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if "$PY" - <<'PYEOF' 2>/dev/null
import importlib.metadata as m, sys
want = {"moto": "5.2.1", "cfn-lint": "1.51.0"}
for name, version in want.items():
    if m.version(name) != version:
        sys.exit(1)
import moto.server  # noqa: F401  (needs the [server] extra: flask, flask-cors)
PYEOF
then
  exit 0
fi
echo "Installing Python test tools from requirements-dev.txt…" >&2
"$PY" -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
