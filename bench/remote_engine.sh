#!/usr/bin/env bash
# runner_overhead.ts on a Docker engine elsewhere: an engine in namespaces of its own, sharing no
# files with the runner, reached over TCP (scripts/test-engines.sh). The baselines (docker run,
# docker exec) are measured on that same engine in the same run, so the ratios compare like with like.
#   bash bench/remote_engine.sh [ARGS for runner_overhead.ts]
set -euo pipefail
cd "$(dirname "$0")/.."
ENGINE=1
host=$(bash scripts/test-engines.sh start "$ENGINE")
trap 'bash scripts/test-engines.sh stop "$ENGINE"' EXIT
if ! DOCKER_HOST="$host" docker image inspect pipewright/busybox:latest >/dev/null 2>&1; then
  docker save pipewright/busybox:latest | DOCKER_HOST="$host" docker load -q >/dev/null
fi
echo "engine: $host ($(DOCKER_HOST="$host" docker info --format '{{.Name}}, Docker {{.ServerVersion}}'))"
DOCKER_HOST="$host" node --import tsx bench/runner_overhead.ts "$@"
