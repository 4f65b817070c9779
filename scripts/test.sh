#!/usr/bin/env bash
# `npm test`: every suite, from a fresh machine. Installs what it needs (npm packages, the Docker
# engine, the offline base images), then runs the SDK, unit and Docker suites.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-node-deps.sh
bash scripts/ensure-docker.sh
bash scripts/build-base-images.sh
# Pipeline networks left by earlier runs whose runner was killed (tests kill runners on purpose):
# Docker's default address pools hold about 30 networks. Only unused ones go.
docker network prune -f --filter label=pipewright.network-owner >/dev/null
npx tsc -p . --noEmit
# The walls between rooms (eslint.config.mjs) and the pure rooms compiled without Node or DOM.
npm run --silent lint
node scripts/build.mjs
echo "== Python SDK (unittest)"
python3 -m unittest discover -s test/sdk -t .
echo "== TypeScript: unit, language-server and Docker suites (node:test)"
export PIPEWRIGHT_TEST_IMAGE=pipewright/python:latest
# The CLI's runs stay in its own process in these suites (their tests kill that process to kill the
# runner); test/docker/service.test.ts and the e2e suite run them in the runner service.
export PIPEWRIGHT_SERVICE=off
# A hung test fails on its own (per-test limit) instead of running CI into its time limit.
timeout --kill-after=30 1800 node --import tsx --test --test-concurrency=1 --test-timeout=240000 --test-reporter=spec test/unit/*.test.ts test/lsp/*.test.ts test/docker/*.test.ts test/engines/*.test.ts
echo "== Editor end to end: the packaged extension in a real VS Code (code-server + Chromium)"
bash scripts/test-e2e.sh
