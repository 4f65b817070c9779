#!/usr/bin/env bash
# Extra Docker engines on this machine for the remote-engine and swarm tests: each dockerd in a
# network namespace of its own (a veth to a "switch" bridge that lives in a namespace of its own, so
# the host's iptables stay untouched) and a mount namespace with tmpfs over /run, /tmp, /home, /root
# and the project's folder (it shares no files with the runner: a bind mount of a runner path finds
# nothing, as on a real remote machine; its socket is its own /var/run/docker.sock), with its own
# data root and cgroup parent. The host reaches them over TCP through one veth into the switch.
#   scripts/test-engines.sh start I...   engines I... at tcp://10.77.0.(10+I):2375 (prints DOCKER_HOSTs)
#   scripts/test-engines.sh stop [I...]  stops them (all by default) and removes their data roots;
#                                        namespaces and links go with the last
set -euo pipefail
SUBNET=10.77.0
DATA=/var/lib/pipewright-engines
STATE=$DATA/state
PROJECT=$(cd "$(dirname "$0")/.." && pwd -P)

start_switch() {
  ip netns list | grep -qw pw-switch && return
  ip netns add pw-switch
  ip netns exec pw-switch ip link add br0 type bridge
  ip netns exec pw-switch ip link set br0 up
  ip netns exec pw-switch ip link set lo up
  # The host's leg: 10.77.0.1 on the host, the other end in the switch's bridge.
  ip link add pw-host type veth peer name pw-host-sw
  ip link set pw-host-sw netns pw-switch
  ip netns exec pw-switch ip link set pw-host-sw master br0 up
  ip addr add "$SUBNET.1/24" dev pw-host
  ip link set pw-host up
}

start_engine() {
  local i=$1 ns="pw-engine$1" ip="$SUBNET.$((10 + $1))"
  mkdir -p "$STATE" "$DATA/$i"
  if ! ip netns list | grep -qw "$ns"; then
    ip netns add "$ns"
    ip link add "pw-e$i" type veth peer name "pw-e$i-sw"
    ip link set "pw-e$i-sw" netns pw-switch
    ip netns exec pw-switch ip link set "pw-e$i-sw" master br0 up
    ip link set "pw-e$i" netns "$ns"
    ip netns exec "$ns" ip addr add "$ip/24" dev "pw-e$i"
    ip netns exec "$ns" ip link set "pw-e$i" up
    ip netns exec "$ns" ip link set lo up
    ip netns exec "$ns" ip route add default via "$SUBNET.1"
  fi
  [ -f "$STATE/$i.pid" ] && kill -0 "$(cat "$STATE/$i.pid")" 2>/dev/null && { echo "tcp://$ip:2375"; return; }
  # nsenter --net (not ip netns exec, which remounts /sys and hides /sys/fs/cgroup from dockerd).
  # --uts: each engine is a swarm node of its own name. nsenter, unshare and sh exec one another:
  # $! is dockerd's pid. The project's folder first: under /tmp (a clone there), /tmp's tmpfs would
  # hide it, and the mount over it would find no mount point.
  nsenter --net="/run/netns/$ns" unshare --mount --uts --propagation private sh -c "
    hostname pw-engine$i && for d in '$PROJECT' /run /tmp /home /root; do mount -t tmpfs tmpfs \"\$d\" || exit 1; done &&
    exec dockerd --data-root '$DATA/$i' -H unix:///var/run/docker.sock -H 'tcp://$ip:2375' \
      --cgroup-parent 'pipewright-engine$i' --bip 172.31.$((200 + i)).1/24 --tls=false \
      --insecure-registry '$SUBNET.1:5000' ${PIPEWRIGHT_ENGINE_ARGS:-}" > "$DATA/$i.log" 2>&1 9>&- &
  echo $! > "$STATE/$i.pid"
  for _ in $(seq 1 100); do
    DOCKER_HOST="tcp://$ip:2375" docker version >/dev/null 2>&1 && { echo "tcp://$ip:2375"; return; }
    kill -0 "$(cat "$STATE/$i.pid")" 2>/dev/null || break
    sleep 0.2
  done
  echo "engine $i did not start; its log: $DATA/$i.log" >&2
  tail -20 "$DATA/$i.log" >&2
  return 1
}

stop_engines() {
  local pids=() which=("$@")
  [ ${#which[@]} -gt 0 ] || which=($(ls "$STATE" 2>/dev/null | sed -n 's/\.pid$//p'))
  for i in "${which[@]}"; do
    [ -f "$STATE/$i.pid" ] && pids+=("$(cat "$STATE/$i.pid")")
  done
  [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null || true
  # A swarm node takes a while to shut down; after 20 s it is killed.
  for _ in $(seq 1 100); do
    local alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.2
  done
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  # Nothing of an engine stays: its namespace, its data root (images, volumes, swarm state) and log.
  for i in "${which[@]}"; do
    rm -f "$STATE/$i.pid"
    ip netns del "pw-engine$i" 2>/dev/null || true
    rm -rf "${DATA:?}/$i" "$DATA/$i.log" 2>/dev/null || true
  done
  # The last engine gone: the switch and the host's leg go too.
  if ! ls "$STATE"/*.pid >/dev/null 2>&1; then
    ip link del pw-host 2>/dev/null || true
    ip netns del pw-switch 2>/dev/null || true
  fi
}

# One start or stop at a time: a stop that finds no engine left removes the switch another start needs.
mkdir -p "$DATA"
exec 9>"$DATA/.lock"
flock 9

case "${1:-}" in
  start) shift; start_switch; for i in "$@"; do start_engine "$i"; done ;;
  stop) shift; stop_engines "$@" ;;
  *) echo "usage: $0 start I... | stop [I...]" >&2; exit 2 ;;
esac
