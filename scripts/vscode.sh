#!/usr/bin/env bash
# `npm run vscode`: try the extension by hand in VS Code (code-server) in your browser.
# Installs what it needs, packages the extension, installs it into a private extensions dir and
# serves VS Code on 127.0.0.1 opening the repository's examples/ (or the folder given as $1) in place.
# Stays in the foreground; Ctrl-C stops it.
# Env: PORT (default: a free one), PIPEWRIGHT_VSCODE_DIR (user data + extensions; default
#      $PIPEWRIGHT_CACHE/vscode-session, kept between runs so your layout stays).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
. scripts/lib-docker.sh
folder=$(cd "${1:-examples}" && pwd)

bash scripts/ensure-node-deps.sh
bash scripts/ensure-docker.sh
bash scripts/build-base-images.sh
cs=$(bash scripts/ensure-code-server.sh --print-bin)
npm run --silent package >/dev/null

cache=${PIPEWRIGHT_CACHE:-$HOME/.cache/pipewright}
session=${PIPEWRIGHT_VSCODE_DIR:-$cache/vscode-session}
ud=$session/user-data
ext=$session/extensions
mkdir -p "$ud/User" "$ext"
: >"$session/config.yaml"

# Settings: ours over whatever is there (so your own edits to other keys survive).
node - "$ud/User/settings.json" <<'JS'
const fs = require('node:fs');
const file = process.argv[2];
let settings = {};
try { settings = JSON.parse(fs.readFileSync(file, 'utf8')); } catch {}
Object.assign(settings, {
  'security.workspace.trust.enabled': false,
  'pipewright.defaultImage': 'pipewright/python:latest',
  'workbench.startupEditor': 'none',
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
});
fs.writeFileSync(file, JSON.stringify(settings, null, 2));
JS

common=(--config "$session/config.yaml" --user-data-dir "$ud" --extensions-dir "$ext")
"$cs" "${common[@]}" --force --install-extension "$repo/dist/pipewright.vsix" >"$session/install.log" 2>&1 ||
  { cat "$session/install.log" >&2; pw_die "installing dist/pipewright.vsix failed"; }

port=${PORT:-0}
pw_log "vscode: starting code-server on 127.0.0.1 (workspace: $folder); Ctrl-C stops it"
# Print the address as soon as code-server says it, then pass its output through.
"$cs" "${common[@]}" --bind-addr "127.0.0.1:$port" --auth none --disable-telemetry \
  --disable-update-check --disable-workspace-trust --disable-getting-started-override \
  --ignore-last-opened "$folder" 2>&1 |
  while IFS= read -r line; do
    printf '%s\n' "$line"
    case $line in
      *"HTTP server listening on "*)
        url=${line##*listening on }
        printf '\n  Pipewright in VS Code: %s?folder=%s\n\n' "${url%/}/" "$folder"
        ;;
    esac
  done
