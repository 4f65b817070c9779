// One retention policy, applied in one place: where a runner opens the store, never while listing.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { runCli } from '../../cli/main';
import { createRunContext } from '../../runner/runContext';
import { PipelineStore } from '../../runner/store/pipelineStore';
import { node } from '../helpers/nodes';
import { dockerSuite } from '../helpers/runnerHarness';

const h = dockerSuite();
const DAY = 24 * 60 * 60 * 1000;

function storeWithPipelineUnusedFor(days: number): { store: PipelineStore; id: string } {
  const store = new PipelineStore(h.storeRoot);
  const meta = store.create({ pipewright: 1, name: 'old', file: '/x/old.py', nodes: [node('/', 'Exec', 'echo')] });
  store.writeMeta({ ...meta, lastUsedAt: Date.now() - days * DAY });
  return { store, id: meta.id };
}

test('listing deletes nothing; a runner opening the store deletes what is older than the policy', async () => {
  const { store, id } = storeWithPipelineUnusedFor(10);
  const out: string[] = [];
  assert.equal(await runCli(['list', '--store', h.storeRoot], { out: (t) => void out.push(t), err: () => {} }), 0);
  assert.match(out.join(''), new RegExp(id), 'list shows the expired pipeline');
  assert.ok(store.exists(id), 'and keeps it');

  await createRunContext({ storeRoot: h.storeRoot, retentionDays: 30 });
  assert.ok(store.exists(id), "the editor's 30 days keep a pipeline unused for 10");

  const saved = process.env.PIPEWRIGHT_RETENTION_DAYS;
  try {
    process.env.PIPEWRIGHT_RETENTION_DAYS = 'a week';
    await assert.rejects(createRunContext({ storeRoot: h.storeRoot }), /PIPEWRIGHT_RETENTION_DAYS must be a number of days > 0, got "a week"/);
    assert.ok(store.exists(id), 'a bad policy deletes nothing');
    process.env.PIPEWRIGHT_RETENTION_DAYS = '7';
    await createRunContext({ storeRoot: h.storeRoot });
    assert.ok(!store.exists(id), 'past 7 days it is deleted');
  } finally {
    if (saved === undefined) delete process.env.PIPEWRIGHT_RETENTION_DAYS;
    else process.env.PIPEWRIGHT_RETENTION_DAYS = saved;
  }
});
