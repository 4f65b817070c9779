// A short kill -9 soak (the long one: bench/kill_soak.ts): random 30-node pipelines run by the CLI,
// killed with SIGKILL at random moments, finished by `pipewright start`; every node must end as its
// command dictates, once unless a kill found it running, with its log, nothing pending or left.
// PIPEWRIGHT_SOAK_SEED replays a failure's seed.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { soakTrial } from '../helpers/killSoak';
import { dockerSuite, TEST_IMAGE } from '../helpers/runnerHarness';

const h = dockerSuite();
const TRIALS = 5;

test(`kill -9 soak: ${TRIALS} trials of a 30-node pipeline, 1-2 kills each, finished by pipewright start`, async (t) => {
  const seed = Number(process.env.PIPEWRIGHT_SOAK_SEED ?? Math.floor(Math.random() * 2 ** 31));
  t.diagnostic(`seed ${seed} (replay: PIPEWRIGHT_SOAK_SEED=${seed}, or bench/kill_soak.ts --seed ${seed} --trials ${TRIALS} --kills 2)`);
  const ctx = await h.context();
  const failures: string[] = [];
  let reattached = 0;
  for (let i = 0; i < TRIALS; i++) {
    const r = await soakTrial({ seed: seed + i, maxKills: 2, storeRoot: h.storeRoot, image: TEST_IMAGE, ctx });
    reattached += r.reattached;
    t.diagnostic(`trial seed ${r.seed} (${r.pipeline}): ${r.kills} kills, re-attached ${r.reattached}, re-run ${r.rerun}, ${(r.ms / 1000).toFixed(1)} s`);
    failures.push(...r.failures.map((f) => `seed ${r.seed}: ${f}`));
  }
  assert.deepEqual(failures, [], `kill soak, seed ${seed}`);
  assert.ok(reattached > 0, 'some kill found a node running, and a later start re-attached to it');
});
