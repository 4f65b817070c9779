#!/usr/bin/env bash
# A Docker registry for the swarm tests: Debian's docker-registry package unpacked (no service, no
# install), listening on the test engines' switch (10.77.0.1:5000, which scripts/test-engines.sh
# makes and the engines trust as an insecure registry), storage in a folder of its own that goes
# with it. The swarm backend pushes the images it builds there and the swarm's nodes pull them.
#   scripts/test-registry.sh start   (needs the switch: start an engine first); prints HOST:PORT
#   scripts/test-registry.sh stop    stops it by its PID and removes its storage
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib-docker.sh"
ADDR=${PIPEWRIGHT_REGISTRY_ADDR:-10.77.0.1:5000}
HOME_DIR=/var/lib/pipewright-registry
BIN=$HOME_DIR/pkg/usr/bin/docker-registry
STATE=$HOME_DIR/state

install_binary() {
  [ -x "$BIN" ] && return
  local tmp
  tmp=$(mktemp -d)
  # apt-get download writes to the current folder; the package lists may be missing on a fresh machine.
  (cd "$tmp" && { apt-get download docker-registry >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get download docker-registry >/dev/null; }; })
  mkdir -p "$HOME_DIR/pkg"
  dpkg -x "$tmp"/docker-registry_*.deb "$HOME_DIR/pkg"
  rm -rf "$tmp"
  [ -x "$BIN" ] || { echo "docker-registry binary not found in the package" >&2; exit 1; }
}

start() {
  install_binary
  mkdir -p "$STATE"
  if [ -f "$STATE/pid" ] && kill -0 "$(cat "$STATE/pid")" 2>/dev/null; then echo "$ADDR"; return; fi
  local storage
  storage=$(mktemp -d /var/tmp/pipewright-registry.XXXXXX)
  echo "$storage" > "$STATE/storage"
  cat > "$STATE/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $storage
  delete:
    enabled: true
http:
  addr: $ADDR
EOF
  "$BIN" serve "$STATE/config.yml" > "$STATE/log" 2>&1 &
  echo $! > "$STATE/pid"
  # Listening is enough.
  pw_wait_listening "${ADDR%:*}" "${ADDR##*:}" "$STATE/pid" 100 && { echo "$ADDR"; return; }
  echo "the registry did not start; its log: $STATE/log" >&2
  tail -20 "$STATE/log" >&2
  return 1
}

stop() {
  if [ -f "$STATE/pid" ]; then
    local pid
    pid=$(cat "$STATE/pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$STATE/pid"
  fi
  if [ -f "$STATE/storage" ]; then
    rm -rf "$(cat "$STATE/storage")"
    rm -f "$STATE/storage"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start | stop" >&2; exit 2 ;;
esac
