#!/usr/bin/env bash
# `npm run test:e2e`: the editor end-to-end suites (test/e2e/*.test.ts) in code-server + Chromium,
# from a fresh machine. Installs what they need (npm packages, the Docker engine and offline base
# images, code-server with its own Node 24, chromium), packages the extension, then runs them one
# file at a time. Screenshots (and logs of failed steps) go to test-artifacts/e2e/. See docs/e2e.md.
#   bash scripts/test-e2e.sh [test files...]   (default: test/e2e/*.test.ts)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib-docker.sh
t0=$(pw_now_ms)
bash scripts/ensure-node-deps.sh
bash scripts/ensure-docker.sh
bash scripts/build-base-images.sh
bash scripts/ensure-code-server.sh
npm run --silent package >/dev/null
pw_log "e2e: setup took $(pw_since "$t0")"
rm -rf test-artifacts/e2e
mkdir -p test-artifacts/e2e
if [ $# -eq 0 ]; then set -- test/e2e/*.test.ts; fi
# Limits per test and for the suite: a hang fails CI quickly with its name rather than running out its time.
timeout --kill-after=30 2400 node --import tsx --test --test-concurrency=1 --test-timeout=300000 --test-reporter=spec "$@"
