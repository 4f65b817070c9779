#!/usr/bin/env bash
# sshd beside a test engine (scripts/test-engines.sh), in its namespaces, so the runner reaches that
# engine as DOCKER_HOST=ssh://root@10.77.0.(10+I) does on a real machine: through the system's ssh,
# which runs `docker system dial-stdio` there. Its own host key, a client key and an ssh config for
# the client (known host pinned, StrictHostKeyChecking) live in a folder of their own.
#   scripts/test-engine-ssh.sh start I   (engine I running); prints the client's ssh config file
#   scripts/test-engine-ssh.sh stop I
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib-docker.sh"
DATA=/var/lib/pipewright-engines
i=${2:?usage: $0 start|stop I}
dir=$DATA/ssh-$i
ip=10.77.0.$((10 + i))

start() {
  if [ ! -x /usr/sbin/sshd ]; then
    apt-get install -y -q openssh-server >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q openssh-server >/dev/null; }
    # The package starts a service on the host: not wanted, only the binary is.
    systemctl disable --now ssh >/dev/null 2>&1 || service ssh stop >/dev/null 2>&1 || true
  fi
  local engine
  engine=$(cat "$DATA/state/$i.pid")
  kill -0 "$engine" 2>/dev/null || { echo "engine $i is not running" >&2; return 1; }
  [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null && { echo "$dir/client_config"; return; }
  rm -rf "$dir"
  mkdir -p -m 700 "$dir"
  ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key"
  ssh-keygen -q -t ed25519 -N '' -f "$dir/client_key"
  cp "$dir/client_key.pub" "$dir/authorized_keys"
  cat > "$dir/sshd_config" <<CFG
ListenAddress $ip:22
HostKey $dir/host_key
AuthorizedKeysFile $dir/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
StrictModes no
UsePAM no
PidFile $dir/sshd.pid
CFG
  echo "$ip $(cut -d' ' -f1-2 "$dir/host_key.pub")" > "$dir/known_hosts"
  cat > "$dir/client_config" <<CFG
Host $ip
  User root
  IdentityFile $dir/client_key
  IdentitiesOnly yes
  UserKnownHostsFile $dir/known_hosts
  StrictHostKeyChecking yes
CFG
  nsenter --target "$engine" --net --mount --uts sh -c "mkdir -p /run/sshd && exec /usr/sbin/sshd -D -e -f '$dir/sshd_config'" > "$dir/log" 2>&1 9>&- &
  echo $! > "$dir/pid"
  pw_wait_listening "$ip" 22 "$dir/pid" 50 && { echo "$dir/client_config"; return; }
  echo "sshd did not start beside engine $i; its log: $dir/log" >&2
  cat "$dir/log" >&2
  return 1
}

stop() {
  if [ -f "$dir/pid" ]; then
    kill "$(cat "$dir/pid")" 2>/dev/null || true
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop I" >&2; exit 2 ;;
esac
