#!/usr/bin/env bash
# The README's test command on a busy machine: two CPU-bound processes run beside it the whole
# time (one per core of a 2-core machine), as CI's machine often is. Arguments go to scripts/test.sh.
#   bash scripts/test-loaded.sh             # three such runs in a row: bash scripts/test-loaded.sh; ×3
set -euo pipefail
cd "$(dirname "$0")/.."
burners=()
for _ in 1 2; do
  python -c "while True: pass" &
  burners+=("$!")
done
trap 'kill "${burners[@]}" 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM
start=$(date +%s)
status=0
bash scripts/test.sh "$@" || status=$?
echo "Loaded run (two CPU-bound processes beside it) took $(( $(date +%s) - start )) s."
exit "$status"
