#!/usr/bin/env bash
# swarm_overhead.ts on a 3-node Docker Swarm this machine starts (scripts/test-swarm.sh: engines in
# namespaces of their own, a registry on their switch). The baselines (docker run, a one-shot
# service by hand) run on that swarm in the same run.
#   bash bench/swarm.sh [ARGS for swarm_overhead.ts]
set -euo pipefail
cd "$(dirname "$0")/.."
manager=$(bash scripts/test-swarm.sh start pipewright/busybox:latest)
trap 'bash scripts/test-swarm.sh stop' EXIT
DOCKER_HOST="$manager" PIPEWRIGHT_REGISTRY=10.77.0.1:5000 node --import tsx bench/swarm_overhead.ts "$@"
