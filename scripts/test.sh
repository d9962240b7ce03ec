#!/usr/bin/env bash
# The whole test suite: static checks, every test file under Deno and under
# Bun, and the Node runtime module under Node's own test runner.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
export DENO_NO_UPDATE_CHECK=1 DENO_NO_PROMPT=1

step() { printf '\n== %s\n' "$*"; }

step "chromium and redis-server"
bash scripts/ensure_system_tools.sh
step "served client bundles are fresh"
node --import tsx scripts/build_client.ts --check
step "deno fmt --check"
deno fmt --check
step "deno lint"
deno lint
step "deno check"
deno check mod.ts src/ tests/ examples/ bench/ scripts/
step "deno publish --dry-run (JSR: exports, no slow types)"
deno publish --dry-run --allow-dirty --quiet
step "package: build dist/ (tsc) and npm pack"
node --import tsx scripts/build_package.ts --check
step "deno test"
deno test -A --doc mod.ts src/ tests/
step "deno test with a full collection (what cut sessions leave behind)"
deno test -A --v8-flags=--expose-gc tests/reliability/retention_test.ts
step "bun test"
bun test --timeout 60000 ./tests/  # the limit works only from the command line (Bun 1.4.5: see bunfig.toml)
step "node --test (Node runtime module)"
node --import tsx --test tests/runtime/*node*_test.ts
step "package: the tarball installed and served on node, bun, deno, workerd"
node --import tsx --test tests/package/tarball.ts
