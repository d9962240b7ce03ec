#!/usr/bin/env bash
# npm run soak: the full reliability run. The 10,000-connection scenarios need
# more descriptors than the usual 1,024: the soft limit is raised to the hard
# limit, for this script and its children only.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
export DENO_NO_UPDATE_CHECK=1 DENO_NO_PROMPT=1
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 10500 ]; then
  echo "note: ulimit -n is $(ulimit -n): the 10,000-client scenarios need 10,000 descriptors in" \
    "the client process and in the server; set SOAK_IDLE lower if they fail to connect" >&2
fi
exec node --import tsx scripts/soak.ts "$@"
