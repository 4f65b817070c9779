#!/usr/bin/env bash
# `npm run bench`: every benchmark, in order, after making sure of what they need (npm packages,
# the Docker engine, the offline base images; for log_view.ts and tree_view.ts code-server, Chromium and the packaged
# extension). See bench/README.md for what each prints and the goals (log_view.ts: docs/webview.md).
#   bench/run.sh [--no-baseline] [-- ARGS for runner_overhead.ts]
# Env: BASELINE_N (docker_baseline.sh iterations, default 20).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

baseline=1
while [ $# -gt 0 ]; do
  case $1 in
  --no-baseline) baseline=0 ;;
  --) shift; break ;;
  *) echo "usage: bench/run.sh [--no-baseline] [-- runner_overhead.ts args]" >&2; exit 2 ;;
  esac
  shift
done

bash scripts/ensure-node-deps.sh
bash scripts/ensure-docker.sh
bash scripts/build-base-images.sh

status=0
echo "== SDK export: 1,000,000 Exec nodes (bench/sdk_export.py; goal <= 20 s, <= 2 GB)"
python3 bench/sdk_export.py || status=1

if [ "$baseline" = 1 ]; then
  echo "== Docker baseline (bench/docker_baseline.sh ${BASELINE_N:-20})"
  bash bench/docker_baseline.sh "${BASELINE_N:-20}" || status=1
fi

echo "== Language server: edit to new tree, 1,000-node definition (bench/lsp_edit.ts; goal <= 300 ms)"
node scripts/build.mjs
node --import tsx bench/lsp_edit.ts || status=1

echo "== Runner overhead (bench/runner_overhead.ts; goal >= 10x below docker run per node)"
node --import tsx bench/runner_overhead.ts "$@" || status=1

echo "== Runner overhead on a Docker engine elsewhere, its baselines on that engine (bench/remote_engine.sh; goal >= 30x below docker run per node)"
bash bench/remote_engine.sh || status=1

echo "== Per-node cost on a 3-node Docker Swarm, next to docker run and a one-shot service by hand there (bench/swarm.sh; goal: within 1.5x of a service by hand)"
bash bench/swarm.sh || status=1

echo "== kill -9 soak: 30 random pipelines killed at random moments (bench/kill_soak.ts; goal: no failure found)"
node --import tsx bench/kill_soak.ts || status=1

echo "== A large run: 100,000 trivial nodes end to end (bench/million.ts; goal at 1,000,000: >= 1,000 nodes/s, < 1 GB RSS, < 1 KB and a fixed number of files per node)"
node --expose-gc --import tsx bench/million.ts --nodes 100000 || status=1

echo "== Reopening a finished 1,000,000-node run: read back (whole log, checkpoint), the panel's first page and pipewright show (bench/reopen.ts; goal < 5 s and < 1 GB)"
node --import tsx bench/reopen.ts --nodes 1000000 || status=1

echo "== Logs tab: 1,000,000 lines streaming into the pipeline panel (bench/log_view.ts; goal: frame times near the baselines, the last line shown)"
bash scripts/ensure-code-server.sh
npm run --silent package >/dev/null
node --import tsx bench/log_view.ts || status=1

echo "== Pipelines view: a 100,101-node pipeline opened, then run (bench/tree_view.ts; goal: opens at once, scrolling while it runs near the baselines)"
node --import tsx bench/tree_view.ts || status=1

echo "== The pipeline panel of a finished 1,000,000-node run (bench/panel_million.ts; goal < 5 s and < 1 GB)"
node --import tsx bench/panel_million.ts --nodes 1000000 || status=1

exit "$status"
