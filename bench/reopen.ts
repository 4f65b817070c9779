/**
 * Reopening a finished large run (issue: million-node runs): what `pipewright show`, the sidebar and
 * the panel begin with. A finished run of N trivial nodes is written into a store by the runner's own
 * store code (the definition as the SDK exports it; each node's start and end as a run of 8 workers
 * writes them), without running containers: bench/million.ts runs them for real, and takes 15 minutes
 * at a million. Then, each in a fresh process, it times and measures (peak RSS):
 *
 *   reading the run back with no checkpoint (PipelineRun.inspect: the definition and the whole event log replayed);
 *   writing its checkpoint (what the runner does as it closes a run: store/checkpointFile.ts);
 *   reading it back again, from the checkpoint, and what the panel's host sends its webview first
 *   (extension/panel/panelPages.ts: the root's first page of children) and for a group opened;
 *   `pipewright show ID` (the CLI's summary of a large run; dist/cli.js, as `node scripts/build.mjs` made it).
 *
 *   node --import tsx bench/reopen.ts [--nodes 1000000]      (PIPEWRIGHT_BENCH_KEEP=1 keeps the store)
 *
 * Exit status 0 whatever the figures; 1 if the run read back is not the run written.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { PipelineRun } from '../runner/pipelineRun';
import { writeFinishedRun } from './finishedRun';
import { saveCheckpoint } from '../runner/run/saveCheckpoint';
import { PipelineStore } from '../runner/store/pipelineStore';
import { PanelPages } from '../extension/panel/panelPages';

const MB = 2 ** 20;
const runFile = promisify(execFile);

/** Child mode: reads the run back (then writes its checkpoint if asked) and prints one JSON line of figures. */
async function inspect(root: string, id: string, checkpoint: boolean): Promise<void> {
  const t0 = performance.now();
  const store = new PipelineStore(root);
  const run = await PipelineRun.inspect(id, { store });
  const seconds = (performance.now() - t0) / 1000;
  let checkpointSeconds = 0;
  let panel = { initMs: 0, initKb: 0, initNodes: 0, pageMs: 0, pageKb: 0 };
  if (!checkpoint) {
    const p0 = performance.now();
    const pages = new PanelPages(() => run.tree);
    const first = pages.init();
    const init = JSON.stringify(first);
    const p1 = performance.now();
    const page = JSON.stringify(pages.children(run.tree.root.children[0]!.path, 0));
    panel = { initMs: p1 - p0, initKb: init.length / 1024, initNodes: first.length, pageMs: performance.now() - p1, pageKb: page.length / 1024 };
  } else {
    const t1 = performance.now();
    // As the run's owner would at its close (this run has no added or modified nodes).
    const execSeq = [...run.tree.leaves(run.tree.root)].length;
    saveCheckpoint(store, id, { tree: run.tree, state: { autorun: run.scheduler.autorun, status: run.status, execSeq }, structural: [], lastStart: null });
    checkpointSeconds = (performance.now() - t1) / 1000;
  }
  const counts = run.tree.root.leafCounts;
  // Peak RSS of reading (and the panel's first pages), before every execution is read to be checked.
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ seconds, checkpointSeconds, panel, peakRssMb, done: counts.done, executions: [...run.tree.leaves(run.tree.root)].reduce((n, leaf) => n + leaf.executions.length, 0) }));
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { nodes: { type: 'string', default: '1000000' }, inspect: { type: 'string' }, id: { type: 'string' }, checkpoint: { type: 'boolean' } } });
  if (values.inspect) {
    // As its readers run: `show` and the extension host keep V8's own heap growth (cli/main.ts).
    await inspect(values.inspect, values.id!, !!values.checkpoint);
    return 0;
  }
  const nodes = Number(values.nodes);
  console.log(`# reopen a finished run: ${nodes} nodes of \`true\` in Parallels of 1,000, cores=${os.cpus().length}, node=${process.version}, date=${new Date().toISOString()}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewright-reopen-'));
  try {
    const w0 = performance.now();
    const { root, id } = await writeFinishedRun(dir, nodes);
    const stored = ['pipeline.json', 'events.jsonl'].map((f) => statSync(path.join(root, 'pipelines', id, f)).size);
    console.log(`written in ${((performance.now() - w0) / 1000).toFixed(1)} s: pipeline.json ${(stored[0]! / MB).toFixed(1)} MB, events.jsonl ${(stored[1]! / MB).toFixed(1)} MB = ${((stored[0]! + stored[1]!) / nodes).toFixed(0)} bytes per node`);

    type Read = { seconds: number; checkpointSeconds: number; panel: { initMs: number; initKb: number; initNodes: number; pageMs: number; pageKb: number }; done: number; executions: number; peakRssMb: number };
    const readBack = async (checkpoint: boolean): Promise<Read> => {
      const child = await runFile(process.execPath, ['--import', 'tsx', __filename, '--inspect', root, '--id', id, ...(checkpoint ? ['--checkpoint'] : [])], { maxBuffer: 1 << 20 });
      return JSON.parse(child.stdout.trim().split('\n').pop()!) as Read;
    };
    const whole = await readBack(true);
    console.log(`read back from the whole log (PipelineRun.inspect, a fresh process): ${whole.seconds.toFixed(2)} s, peak RSS ${whole.peakRssMb.toFixed(0)} MB; ${whole.done} done, ${whole.executions} executions`);
    const checkpointSize = statSync(path.join(root, 'pipelines', id, 'checkpoint.jsonl')).size;
    console.log(`checkpoint written (as the runner does at close) in ${whole.checkpointSeconds.toFixed(2)} s: ${(checkpointSize / MB).toFixed(1)} MB = ${(checkpointSize / nodes).toFixed(0)} bytes per node (store in all: ${((stored[0]! + stored[1]! + checkpointSize) / nodes).toFixed(0)})`);
    const read = await readBack(false);
    console.log(`read back from the checkpoint (a fresh process): ${read.seconds.toFixed(2)} s, peak RSS ${read.peakRssMb.toFixed(0)} MB; ${read.done} done, ${read.executions} executions`);
    const { panel } = read;
    console.log(`panel: init ${panel.initNodes} nodes, ${panel.initKb.toFixed(0)} KB in ${panel.initMs.toFixed(0)} ms; a group opened: ${panel.pageKb.toFixed(0)} KB in ${panel.pageMs.toFixed(0)} ms`);

    const cli = path.join(__dirname, '..', 'dist', 'cli.js');
    // The CLI's own peak RSS, printed as it exits (no /usr/bin/time on a fresh machine).
    const peak = path.join(dir, 'peak-rss.js');
    writeFileSync(peak, "process.on('exit', () => process.stderr.write(`\\npeak-rss-kb ${process.resourceUsage().maxRSS}\\n`));\n");
    const s0 = performance.now();
    const show = await runFile(process.execPath, ['--require', peak, cli, 'show', id, '--store', root], { maxBuffer: 16 << 20 });
    const showSeconds = (performance.now() - s0) / 1000;
    const showRss = Number(/peak-rss-kb (\d+)/.exec(show.stderr)?.[1]) / 1024;
    console.log(`pipewright show (whole process): ${showSeconds.toFixed(2)} s, peak RSS ${showRss.toFixed(0)} MB, ${show.stdout.split('\n').length - 1} lines`);
    return [whole, read].every((r) => r.done === nodes && r.executions === nodes) ? 0 : 1;
  } finally {
    if (process.env.PIPEWRIGHT_BENCH_KEEP) console.log(`store kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`error: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
