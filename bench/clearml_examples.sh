#!/usr/bin/env bash
# Loads ClearML's own pipeline examples (examples/pipeline/*.py of a clearml/clearml checkout) as
# definitions with `pipewright tree` and says which load. Step scripts (Task.init, no controller)
# are listed apart: they are not pipelines, the pipelines name them.
#   bash bench/clearml_examples.sh CLEARML_CHECKOUT_OR_EXAMPLES_DIR
# A bare git dir (the mirror) works too: its examples/pipeline is exported to a temp folder.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
src="${1:?usage: bench/clearml_examples.sh CLEARML_CHECKOUT|EXAMPLES_DIR}"
cli="$here/dist/cli.js"
[ -f "$cli" ] || node "$here/scripts/build.mjs" >/dev/null
dir="$src"
if [ -d "$src/examples/pipeline" ]; then dir="$src/examples/pipeline"
elif git -C "$src" rev-parse --git-dir >/dev/null 2>&1 && ! [ -f "$src/pipeline_from_tasks.py" ]; then
  dir="$(mktemp -d)"
  trap 'rm -rf "$dir"' EXIT
  git -C "$src" archive HEAD examples/pipeline | tar -x -C "$dir" --strip-components=2
fi
loaded=0; total=0
for f in "$dir"/*.py; do
  name="$(basename "$f")"
  if ! grep -q "PipelineController\|PipelineDecorator" "$f"; then
    echo "step script  $name"
    continue
  fi
  total=$((total + 1))
  if out="$(cd "$dir" && node "$cli" tree "$name" 2>&1)"; then
    loaded=$((loaded + 1))
    echo "loads        $name ($(printf '%s\n' "$out" | grep -c '─') steps)"
  else
    echo "fails        $name: $(printf '%s\n' "$out" | tail -1)"
  fi
done
echo "$loaded of $total pipeline files load"
