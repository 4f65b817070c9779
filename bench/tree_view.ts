/**
 * The Pipelines view with a 100,000-node pipeline, in a real VS Code (code-server, as the e2e
 * suites run it): how long until the definition's pipeline shows, and until a level of 1,000
 * children expands. Run: `bash scripts/test-e2e.sh` once (installs code-server), then
 *   node --import tsx bench/tree_view.ts [--parallels 100] [--execs 1000]
 * Prints figures; the goal (issue: "a 100,000-node pipeline opens at once and stays smooth") is
 * judged by a person from them, as the other benches do.
 */
import { performance } from 'node:perf_hooks';
import { Workbench } from '../test/e2e/harness';

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
}

const parallels = flag('parallels', 100);
const execs = flag('execs', 1000);

const definition = `import conducto as co

def run() -> co.Serial:
    root = co.Serial()
    for p in range(${parallels}):
        par = root[f"p{p:03d}"] = co.Parallel()
        for e in range(${execs}):
            par[f"e{e:04d}"] = co.Exec(f"echo {p} {e}")
    return root

if __name__ == "__main__":
    co.main(default=run)
`;

async function timed<T>(what: string, work: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const result = await work();
  console.log(`${what}: ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  return result;
}

(async () => {
  const nodes = parallels * execs + parallels + 1;
  console.log(`# Pipelines view, ${nodes.toLocaleString('en')} nodes (${parallels} Parallels of ${execs} Exec)`);
  const wb = await Workbench.start({ name: 'bench-tree', files: { 'huge.py': definition } });
  try {
    await wb.openViewContainer();
    await timed('definition evaluated and its pipeline shown (language server, 1st time)', () => wb.treeItem('run', { under: ['huge.py'], timeout: 300_000 }));
    await timed(`pipeline expanded (${parallels} children)`, () => wb.treeItem('p000', { under: ['huge.py', 'run'], timeout: 120_000 }));
    await timed(`a Parallel expanded (${execs} children)`, () => wb.treeItem('e0000', { under: ['huge.py', 'run', 'p000'], timeout: 120_000 }));
    await wb.screenshot('bench-tree-100k');
  } finally {
    await wb.dispose();
  }
})().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
