#!/usr/bin/env bash
# A 3-node Docker Swarm on this machine (for the swarm bench and by hand): engines 2, 3 and 4 of
# scripts/test-engines.sh (namespaces of their own, no files shared with the runner), the registry
# of scripts/test-registry.sh on their switch, swarm init on engine 2 and joins from 3 and 4, and the
# images named loaded into every node (docker save | docker load: nodes never pull a base image).
#   scripts/test-swarm.sh start [IMAGE...]   prints the manager's DOCKER_HOST
#   scripts/test-swarm.sh stop               leaves the swarm, stops the registry and the engines
set -euo pipefail
cd "$(dirname "$0")/.."
ENGINES=(2 3 4)
MANAGER=10.77.0.12

engine() { DOCKER_HOST="tcp://10.77.0.$((10 + $1)):2375" docker "${@:2}"; }

start() {
  bash scripts/test-engines.sh start "${ENGINES[@]}" >/dev/null
  bash scripts/test-registry.sh start >/dev/null
  # A swarm of an earlier run may be left in an engine's data root.
  for i in "${ENGINES[@]}"; do engine "$i" swarm leave --force >/dev/null 2>&1 || true; done
  engine 2 swarm init --advertise-addr "$MANAGER" --listen-addr 0.0.0.0:2377 >/dev/null
  local token
  token=$(engine 2 swarm join-token -q worker)
  for i in "${ENGINES[@]:1}"; do engine "$i" swarm join --token "$token" "$MANAGER:2377" >/dev/null; done
  for image in "$@"; do
    for i in "${ENGINES[@]}"; do
      engine "$i" image inspect "$image" >/dev/null 2>&1 || docker save "$image" | engine "$i" load -q >/dev/null
    done
  done
  for _ in $(seq 1 150); do
    [ "$(engine 2 node ls --format '{{.Status}}' | grep -c Ready)" = "${#ENGINES[@]}" ] && { echo "tcp://$MANAGER:2375"; return; }
    sleep 0.2
  done
  echo "the swarm's nodes did not all become ready" >&2
  return 1
}

stop() {
  for i in "${ENGINES[@]}"; do engine "$i" swarm leave --force >/dev/null 2>&1 || true; done
  bash scripts/test-registry.sh stop
  bash scripts/test-engines.sh stop "${ENGINES[@]}"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) stop ;;
  *) echo "usage: $0 start [IMAGE...] | stop" >&2; exit 2 ;;
esac
