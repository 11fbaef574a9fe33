#!/usr/bin/env bash
# A longer property-based fuzzing run of the REST API (Schemathesis) than `make test` does:
# every operation of the served OpenAPI document, positive and negative examples, against the
# real app on a demo store. EXAMPLES per operation (default 300; `make test` uses 12).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${VENV:-.venv}/bin"
SIYU_FUZZ_EXAMPLES="${EXAMPLES:-300}" "$BIN/pytest" -q -p no:cacheprovider tests/api/test_fuzz.py "$@"
