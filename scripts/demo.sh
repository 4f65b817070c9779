#!/usr/bin/env bash
# `npm run demo`: the Compression Race of the Conducto docs ("Controlling a Pipeline"), run for
# real through the pipewright CLI. Works from a clean clone: installs what it needs (npm packages,
# the Docker engine, the offline base images), builds, makes the payloads, prints the tree, runs
# it, compares the three strategies, then gives "process parallelism" ten cores, reruns it and
# compares its two runs.
# Env: PIPEWRIGHT_DEFAULT_IMAGE (default pipewright/python:latest), PAYLOAD_SIZES (MB, e.g. 50,100,150,200,250).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-node-deps.sh
bash scripts/ensure-docker.sh
bash scripts/build-base-images.sh
node scripts/build.mjs

export PIPEWRIGHT_DEFAULT_IMAGE=${PIPEWRIGHT_DEFAULT_IMAGE:-pipewright/python:latest}
race=examples/compression_race
def=$race/pipeline.py
log=$(mktemp "${TMPDIR:-/tmp}/pipewright-demo.XXXXXX")
trap 'rm -f "$log"' EXIT

echo "== payloads"
python3 $race/make_payloads.py ${PAYLOAD_SIZES:+--sizes "$PAYLOAD_SIZES"}

echo
echo "== tree: pipewright tree $def"
node dist/cli.js tree "$def"

echo
echo "== run: pipewright run $def (image $PIPEWRIGHT_DEFAULT_IMAGE)"
# Piped, the CLI prints a line per finished node (state, time) and the tree at the end; its first
# line names the pipeline. The first run builds the copy_dir image (progress on stderr).
node dist/cli.js run "$def" | tee "$log"
id=$(awk 'NR == 1 && $1 == "pipeline" { print $2 }' "$log")
[ -n "$id" ] || { echo "demo: no pipeline id in the run's output" >&2; exit 1; }

# Wall time of a node: from its subtree's first start to its last end (execution N, 1-based).
report() { # ID MODE
  node dist/cli.js show "$1" --json | node -e '
    const mode = process.argv[1];
    const { nodes } = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const secs = (ms) => (ms / 1000).toFixed(2) + "s";
    const span = (prefix, n) => {
      const execs = nodes.filter((x) => x.path === prefix || x.path.startsWith(prefix + "/")).map((x) => x.executions[n]).filter(Boolean);
      if (!execs.length || execs.some((e) => e.endedAt === undefined)) return null;
      return Math.max(...execs.map((e) => e.endedAt)) - Math.min(...execs.map((e) => e.startedAt));
    };
    if (mode === "race") {
      const rows = ["/container parallelism", "/process parallelism", "/no parallelism"].map((p) => [p, span(p, 0)]);
      if (rows.some(([, t]) => t === null)) throw new Error("a strategy has no finished execution");
      for (const [p, t] of rows) console.log(`  ${p.slice(1).padEnd(22)} ${secs(t).padStart(8)}`);
      const [winner] = [...rows].sort((a, b) => a[1] - b[1]);
      console.log(`  winner: ${winner[0].slice(1)}`);
    } else {
      const node = nodes.find((x) => x.path === "/process parallelism");
      node.executions.forEach((e, i) => console.log(`  execution ${i + 1}: ${e.endedAt === undefined ? "unfinished" : secs(e.endedAt - e.startedAt)}  cpu=${e.params.cpu}${e.cpuClamped !== undefined ? ` (ran with ${e.cpuClamped}, all this machine has)` : ""}  ${e.exitCode === 0 ? "exit 0" : e.reason ?? "exit " + e.exitCode}`));
      if (node.executions.length < 2) throw new Error("expected two executions of /process parallelism");
    }
  ' "$2"
}

echo
echo "== race results ($id; every node has cpu=2 from the root, on a $(nproc)-cpu machine)"
report "$id" race

echo
echo "== act two: give \"process parallelism\" ten cores and rerun it"
echo "   pipewright modify $id \"/process parallelism\" --cpu 10 --reset"
# As the seed does. On a machine with fewer cores the node waits until it can run alone and gets
# every core there is (the execution records the clamp). Asking for other resources, it starts in a
# new container, with a fresh copy of the payloads (not in the one where they are .gz already).
node dist/cli.js modify "$id" "/process parallelism" --cpu 10 --reset
echo
echo "== \"process parallelism\", both executions"
report "$id" executions
echo
echo "demo: ok (pipewright show $id / pipewright logs $id PATH for more)"
