#!/usr/bin/env bash
# Installs the npm dependencies when they are missing or were installed from another lockfile.
# Compares the lockfile's content, not its mtime: a fresh checkout or git worktree has a newer
# lockfile than node_modules, and `npm ci` then would wipe a node_modules shared with the worktree.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.pipewright-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f node_modules/.package-lock.json ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "pipewright: installing npm dependencies..." >&2
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
