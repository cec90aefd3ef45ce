#!/usr/bin/env bash
# Entry point of the README's commands (npm start, npm test, …): provisions Node 24
# and the npm dependencies when needed, then runs the task under that Node.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/node-env.sh
source "$ROOT/scripts/node-env.sh"
task="${1:-}"; shift || true
export NODE_OPTIONS="${NODE_OPTIONS:-} --disable-warning=TimeoutNegativeWarning"
tsx() { node --enable-source-maps --import tsx "$@"; }
case "$task" in
  start) exec node --enable-source-maps --import tsx dev/platform/start.ts "$@" ;;
  test) exec node --enable-source-maps --import tsx dev/platform/run-tests.ts "$@" ;;
  lint) npx eslint --max-warnings 0 . && npx prettier --check "libs/common/src/**/*.ts" "libs/contracts/**/*.ts" "libs/draw/**/*.ts" "dev/**/*.ts" "*-service/*-backend/**/*.ts" "**/*.md" ;;
  typecheck)
    npx tsc -p tsconfig.json --noEmit
    npx tsc -p libs/contracts/tsconfig.json --noEmit  # isomorphic: typed without Node's types
    for fe in libs/ui feed-service/feed-frontend buffer-service/buffer-frontend queue-service/queue-frontend purchase-service/purchase-frontend payment-service/payment-frontend; do
      [ -f "$fe/tsconfig.json" ] && (cd "$fe" && npx svelte-check --tsconfig ./tsconfig.json --fail-on-warnings --output machine | tail -1)
    done ;;
  build) tsx dev/platform/build.ts "$@" ;;
  verify-draw) tsx libs/draw/src/cli.ts "$@" ;;
  admin) tsx dev/platform/admin.ts "$@" ;;
  dlq) tsx dev/platform/dlq.ts "$@" ;;
  contracts) tsx dev/contracts/generate-clients.ts "$@" ;;
  bench) tsx bench/run-bench.ts "$@" ;;
  *) echo "usage: scripts/run.sh start|test|lint|typecheck|build|verify-draw|admin|dlq|contracts|bench <name>" >&2; exit 2 ;;
esac
