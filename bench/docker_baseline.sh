#!/usr/bin/env bash
# Baseline cost of Docker itself, to compare later Pipewright benchmarks with:
# mean wall time of a whole `docker run --rm` (create+start+wait+remove) and of
# a `docker exec` into one already-running container.
# Usage: bench/docker_baseline.sh [N]   (default 50; or env N)
# Output lines are stable for grep, e.g.  "docker run --rm: 270 ms/node"
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR/.. source=scripts/lib-docker.sh
. "$root/scripts/lib-docker.sh"

n=${1:-${N:-50}}
case $n in '' | *[!0-9]* | 0) pw_die "N must be a positive integer, got '$n'" ;; esac
IMAGE=pipewright/busybox:latest

# Both are near-instant no-ops once done.
"$root/scripts/ensure-docker.sh"
"$root/scripts/build-base-images.sh"

ctr=pw-bench-$$
trap 'docker rm -f "$ctr" >/dev/null 2>&1 || true' EXIT

mean_ms() { # n start_ms
  echo $(( ($(pw_now_ms) - $2 + $1 / 2) / $1 ))
}

echo "# docker baseline: n=$n image=$IMAGE engine=$(docker version -f '{{.Server.Version}}') storage=$(docker info -f '{{.Driver}}')"

# Warm up once so the first run's page-cache/layer setup isn't counted.
docker run --rm "$IMAGE" true
t0=$(pw_now_ms)
for _ in $(seq "$n"); do docker run --rm "$IMAGE" true; done
echo "docker run --rm: $(mean_ms "$n" "$t0") ms/node"

# Same without a network namespace: shows how much is veth/bridge/iptables setup.
t0=$(pw_now_ms)
for _ in $(seq "$n"); do docker run --rm --network none "$IMAGE" true; done
echo "docker run --rm --network none: $(mean_ms "$n" "$t0") ms/node"

docker run -d --name "$ctr" "$IMAGE" sleep 86400 >/dev/null
docker exec "$ctr" true
t0=$(pw_now_ms)
for _ in $(seq "$n"); do docker exec "$ctr" true; done
echo "docker exec: $(mean_ms "$n" "$t0") ms/node"
