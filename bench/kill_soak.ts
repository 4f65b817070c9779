/**
 * kill -9 soak: random 30-node pipelines (Serial(stop_on_error=False) and Parallel(max_concurrent)
 * groups, random short sleeps, some nodes failing) run by the `pipewright` CLI in a child process,
 * killed with SIGKILL at random moments (1 to --kills times per trial), then finished by
 * `pipewright start ID`. Each trial checks every node ended as its command dictates (done or
 * error), ran to its end once unless a kill found it running (a marker per run in the shared data
 * folder), nothing is pending, no container is left and every log is there.
 *
 *   node --import tsx bench/kill_soak.ts [--trials 30] [--kills 3] [--seed N] [--nodes 30]
 *                                        [--image pipewright/python:latest]
 *
 * Trial i uses seed N+i (printed): `--seed N+i --trials 1` replays its pipeline and kill points
 * (the moments depend on the machine's timing too). Prints a line per trial, then
 *   trials: T, kills: K, recoveries: R, re-attached nodes: A, re-run nodes: B, failures found: F, time: S s
 * Exit status 1 when a trial found a failure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { createRunContext } from '../runner/runContext';
import { soakTrial, type TrialResult } from '../test/helpers/killSoak';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { trials: { type: 'string', default: '30' }, kills: { type: 'string', default: '3' }, seed: { type: 'string' }, nodes: { type: 'string', default: '30' }, image: { type: 'string', default: process.env.PIPEWRIGHT_TEST_IMAGE || 'pipewright/python:latest' } },
  });
  const whole = (name: string, v: string | undefined) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, got "${v}"`);
    return n;
  };
  const trials = whole('trials', values.trials);
  const maxKills = Math.max(1, whole('kills', values.kills));
  const nodes = Math.max(1, whole('nodes', values.nodes));
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : whole('seed', values.seed);
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'pipewright-kill-soak-'));
  const storeRoot = path.join(scratch, 'store');
  console.log(`kill soak: seed ${seed}, ${trials} trials of ${nodes} nodes, 1-${maxKills} kills each, image ${values.image}; load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const began = Date.now();
  const results: TrialResult[] = [];
  try {
    const ctx = await createRunContext({ storeRoot, defaultImage: values.image });
    for (let i = 0; i < trials; i++) {
      const r = await soakTrial({ seed: seed + i, maxKills, storeRoot, image: values.image, ctx, nodes });
      results.push(r);
      console.log(`trial ${i + 1} (seed ${r.seed}, ${r.pipeline}): ${r.kills} kills, re-attached ${r.reattached}, re-run ${r.rerun}, ${(r.ms / 1000).toFixed(1)} s: ${r.failures.length ? 'FAILED' : 'ok'}`);
      for (const f of r.failures) console.log(`  ${f}`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const sum = (f: (r: TrialResult) => number) => results.reduce((n, r) => n + f(r), 0);
  const failures = sum((r) => r.failures.length);
  console.log(
    `trials: ${results.length}, kills: ${sum((r) => r.kills)}, recoveries: ${sum((r) => r.recoveries)}, re-attached nodes: ${sum((r) => r.reattached)}, re-run nodes: ${sum((r) => r.rerun)}, failures found: ${failures} (in ${results.filter((r) => r.failures.length).length} trials), time: ${((Date.now() - began) / 1000).toFixed(1)} s`,
  );
  return failures ? 1 : 0;
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
