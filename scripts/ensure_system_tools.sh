#!/usr/bin/env bash
# Makes sure the Debian programs the tests drive are installed: chromium (the
# browser tests) and redis-server (the Redis adapter tests). Does nothing when
# both are there; otherwise installs what is missing with one apt-get run (as
# root, or through sudo when that works without a prompt).
set -euo pipefail

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
missing=()
[ -x "$CHROMIUM" ] || missing+=(chromium fonts-liberation)
command -v redis-server >/dev/null || missing+=(redis-server)
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  echo "ensure_system_tools: ${missing[*]} missing and apt-get needs root; install with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "ensure_system_tools: installing ${missing[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

[ -x "$CHROMIUM" ] || { echo "ensure_system_tools: $CHROMIUM is still missing" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "ensure_system_tools: redis-server is still missing" >&2; exit 1; }
# apt starts the packaged redis service; the tests start their own on free ports.
if command -v systemctl >/dev/null; then "${SUDO[@]}" systemctl disable --now redis-server >/dev/null 2>&1 || true; fi
"$CHROMIUM" --version >&2
redis-server --version >&2
