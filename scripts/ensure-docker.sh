#!/usr/bin/env bash
# Make a working Docker engine available. Silent no-op when `docker info`
# already answers (DOCKER_HOST honoured); otherwise installs docker.io with apt
# if needed and starts dockerd in the background so it outlives this script.
#   --check   also print storage driver / cgroup info and try resource limits
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/lib-docker.sh"

check=0
[ "${1:-}" = "--check" ] && check=1

LOG=/tmp/pipewright-dockerd.log
WAIT_S=${PIPEWRIGHT_DOCKERD_WAIT:-60}

report() {
  docker info --format 'docker {{.ServerVersion}}: storage={{.Driver}} cgroup=v{{.CgroupVersion}}/{{.CgroupDriver}} cpus={{.NCPU}}'
  if docker image inspect pipewright/busybox >/dev/null 2>&1; then
    # Limits need working cpu + memory cgroup controllers (v1 or v2).
    docker run --rm --cpus 0.5 --memory 64m pipewright/busybox true &&
      echo "resource limits (--cpus 0.5 --memory 64m): ok"
  else
    echo "resource limits: not tested (run scripts/build-base-images.sh first)"
  fi
}

if pw_docker_ok; then
  [ "$check" = 1 ] && report
  exit 0
fi

# We can only start a local engine, i.e. one listening on a unix socket.
host=${DOCKER_HOST:-unix:///var/run/docker.sock}
case $host in
  unix://*) sock=${host#unix://} ;;
  *) pw_die "Docker at DOCKER_HOST=$host does not answer, and a remote engine cannot be started from here." ;;
esac

pw_lock ensure-docker
# Another run may have started the engine while we waited for the lock.
if pw_docker_ok; then
  [ "$check" = 1 ] && report
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  pw_apt_install docker.io
  hash -r
fi

start_detached() {
  pw_log "starting dockerd in the background (log: $LOG)"
  # setsid+nohup detach it from our session so it survives this script and CI
  # step boundaries; the log is appended so earlier failures stay visible.
  # 9>&- : the daemon must not inherit our lock fd, or it holds it forever.
  # shellcheck disable=SC2016
  pw_as_root sh -c 'setsid nohup dockerd -H "unix://$1" >>"$2" 2>&1 </dev/null 9>&- &' \
    sh "$sock" "$LOG"
}

if pgrep -x dockerd >/dev/null 2>&1; then
  # Already starting (or stuck): wait for it rather than start a second one.
  pw_log "dockerd is running but not answering yet; waiting up to ${WAIT_S}s"
elif [ "$sock" = /var/run/docker.sock ] && [ -d /run/systemd/system ] &&
     systemctl cat docker.service >/dev/null 2>&1; then
  # Under systemd let the unit own the daemon (proper restarts, cgroup driver).
  pw_log "starting docker.service"
  pw_as_root systemctl start docker.service || start_detached
else
  start_detached
fi

deadline=$(( SECONDS + WAIT_S ))
until DOCKER_HOST="unix://$sock" pw_docker_ok; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    pw_log "---- last lines of $LOG ----"
    tail -n 15 "$LOG" >&2 2>/dev/null || true
    pw_log "----"
    pid=$(pgrep -x dockerd | paste -sd ' ') || true
    [ -z "$pid" ] || pw_log "note: dockerd is running (pid $pid) but not answering on $sock; check DOCKER_HOST."
    pw_die "Docker did not come up within ${WAIT_S}s on $sock.
Start it by hand, then re-run this script:
  with systemd:     sudo systemctl start docker
  without systemd:  sudo sh -c 'dockerd >$LOG 2>&1 &'
If you are not root, also: sudo usermod -aG docker \$USER (then log in again)."
  fi
  sleep 0.5
done

# A non-root user may lack access to a root-owned socket; say so plainly.
pw_docker_ok || pw_die "dockerd is up on $sock but 'docker info' fails for $(id -un); check DOCKER_HOST and socket permissions (docker group)."

pw_log "docker is up"
[ "$check" = 1 ] && report
exit 0
