#!/usr/bin/env bash
# `npm run demo`: prints the example pipelines' trees through the pipewright CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-node-deps.sh
node scripts/build.mjs
for file in examples/*.py; do
  echo "== $file"
  node dist/cli.js tree "$file"
  echo
done
