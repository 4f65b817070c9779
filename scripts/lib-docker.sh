# Shared helpers for scripts/ensure-docker.sh, scripts/build-base-images.sh, the test engines
# and bench/docker_baseline.sh. Source it; it defines functions only.
# shellcheck shell=bash

pw_log() { printf '%s\n' "$*" >&2; }
pw_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Milliseconds since the epoch, and a human "1.23s" since a given stamp.
pw_now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
pw_since() {
  local ms=$(( $(pw_now_ms) - $1 ))
  printf '%d.%02ds' $(( ms / 1000 )) $(( ms % 1000 / 10 ))
}

# Run a command as root: directly if we are root, else via non-interactive
# sudo (CI runners have passwordless sudo; a password prompt would hang).
pw_as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo -n "$@"
  else
    pw_die "need root for: $*"
  fi
}

# Install Debian packages quietly. DPkg::Lock::Timeout waits for another apt
# run (e.g. unattended-upgrades or a parallel CI step) instead of failing.
pw_apt_install() {
  pw_log "installing with apt: $*"
  pw_as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get -qq -o DPkg::Lock::Timeout=600 update >/dev/null
  pw_as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get -qq -y -o DPkg::Lock::Timeout=600 --no-install-recommends \
    install "$@" >/dev/null
}

# True when the engine (as selected by DOCKER_HOST / the CLI) answers.
# `timeout` keeps a hung daemon from hanging the caller.
pw_docker_ok() {
  command -v docker >/dev/null 2>&1 &&
    timeout 15 docker info >/dev/null 2>&1
}

# Serialise concurrent runs (npm test and npm run demo may start together).
# Usage: pw_lock NAME  — holds the lock (fd 9) until the calling script exits.
# Long-lived children must close fd 9 (`9>&-`) or they keep the lock held.
pw_lock() {
  local f="${TMPDIR:-/tmp}/pipewright-$1.lock"
  exec 9>>"$f"
  flock -w 900 9 || pw_die "timed out waiting for $f (held by: $(fuser "$f" 2>/dev/null || echo '?'))"
}

# Waits until HOST:PORT accepts a connection (bash's /dev/tcp: no curl or nc on a fresh machine), up
# to TRIES tenths of a second, while the process in PIDFILE lives. Status 1 when it never listened.
pw_wait_listening() {
  local host=$1 port=$2 pidfile=$3 tries=$4
  for _ in $(seq 1 "$tries"); do
    (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null && return 0
    kill -0 "$(cat "$pidfile")" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
