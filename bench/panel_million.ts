/**
 * The pipeline panel of a finished 1,000,000-node run, in a real VS Code (code-server, as the e2e
 * suites run it). The run is written by the store's own code (bench/finishedRun.ts) with the
 * checkpoint the runner writes when a run settles. Prints:
 *  - until the sidebar shows the run's first rows (the stored run expanded in the Runs list), and
 *    until a group of 1,000 opens there;
 *  - after a reload (a fresh extension host), until the panel shows the run (the Runs list's
 *    "Open Pipeline Panel" to the root's row counting every node), and until a group of 1,000
 *    opens in it;
 *  - the extension host's resident memory before and after, and its peak (VmHWM), which includes
 *    everything else the extension host did since it started.
 * Run: `bash scripts/test-e2e.sh` once (installs code-server), then
 *   node --import tsx bench/panel_million.ts [--nodes 1000000]
 * The goal (issue 15: "the sidebar and the panel of a finished 1,000,000-node run: under 5 s and
 * under 1 GB") is judged from these figures.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify, parseArgs } from 'node:util';
import { Workbench } from '../test/e2e/harness';
import { writeFinishedRun } from './finishedRun';

const runFile = promisify(execFile);
const MB = 1024;

/** The extension host's VmRSS and VmHWM in MB. */
function extensionHostMemory(): { rss: number; peak: number } {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('extensionHost')) continue;
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
      return { rss: kb('VmRSS') / MB, peak: kb('VmHWM') / MB };
    } catch {
      /* gone meanwhile */
    }
  }
  return { rss: NaN, peak: NaN };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { nodes: { type: 'string', default: '1000000' } } });
  const nodes = Number(values.nodes);
  console.log(`# the panel of a finished run of ${nodes.toLocaleString('en-US')} nodes in code-server, cores=${os.cpus().length}, date=${new Date().toISOString()}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewright-panel-million-'));
  let wb: Workbench | undefined;
  try {
    const { root, id } = await writeFinishedRun(dir, nodes);
    // Read back once and checkpointed, in a process of its own, as the runner does when the run settles.
    await runFile(process.execPath, ['--import', 'tsx', path.join(__dirname, 'reopen.ts'), '--inspect', root, '--id', id, '--checkpoint'], { maxBuffer: 1 << 20 });
    wb = await Workbench.start({ name: 'panel-million', settings: { 'pipewright.storePath': root } });
    // The run's definition is not in the workspace: list every workspace's runs.
    await wb.runCommand('Pipewright: Show Runs of All Workspaces');
    await wb.openViewContainer();
    await wb.treeItem(id, { under: ['Runs'] });
    // The sidebar first: the stored run expanded in the Runs list (read from its checkpoint), until
    // its first page of rows shows, then a group of it opened.
    const sidebarBefore = extensionHostMemory();
    const s0 = performance.now();
    await wb.treeItem('g0000', { under: ['Runs', id], timeout: 120_000 });
    const sidebarOpened = (performance.now() - s0) / 1000;
    const s1 = performance.now();
    await wb.treeItem('n0000', { under: ['Runs', id, 'g0000'], timeout: 60_000 });
    const sidebarGroup = (performance.now() - s1) / 1000;
    const sidebarAfter = extensionHostMemory();
    console.log(`sidebar (the stored run expanded in the Runs list → its first rows): ${sidebarOpened.toFixed(2)} s`);
    console.log(`a group of 1,000 opened in the sidebar: ${sidebarGroup.toFixed(2)} s`);
    console.log(`extension host RSS: ${sidebarBefore.rss.toFixed(0)} MB before, ${sidebarAfter.rss.toFixed(0)} MB after; peak ${sidebarAfter.peak.toFixed(0)} MB`);
    await wb.screenshot('sidebar-million');

    // The panel in a fresh extension host (a reload), so it reads the run itself.
    await wb.reloadWindow();
    // (the Runs list still shows every workspace's runs: the choice outlives the reload)
    await wb.openViewContainer();
    await wb.treeItem(id, { under: ['Runs'] });
    const before = extensionHostMemory();

    const t0 = performance.now();
    await wb.treeItemContextMenu(id, 'Open Pipeline Panel', { under: ['Runs'] });
    const f = await wb.panelFrame(120_000);
    const row = (p: string) => f.locator(`.tree .tree-row[data-path="${p}"]`);
    await row('/').locator('.desc', { hasText: `D${nodes}` }).waitFor({ timeout: 120_000 });
    const opened = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    await row('/g0000').locator('.twisty').click();
    await row('/g0000/n0000').waitFor({ timeout: 60_000 });
    const group = (performance.now() - t1) / 1000;
    const after = extensionHostMemory();
    console.log(`panel opened (Open Pipeline Panel → the root's row counts ${nodes.toLocaleString('en-US')} done): ${opened.toFixed(2)} s`);
    console.log(`a group of 1,000 opened in it: ${group.toFixed(2)} s`);
    console.log(`extension host RSS: ${before.rss.toFixed(0)} MB before, ${after.rss.toFixed(0)} MB after; peak ${after.peak.toFixed(0)} MB`);
    await wb.screenshot('panel-million');
  } finally {
    await wb?.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(`error: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
