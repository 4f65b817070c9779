// The editor's view of the store (the Runs group, the panel's pick list: RunManager.stored) with a
// broken pipeline in it: the others are still there, nothing throws.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { PipelineStore } from '../../runner/store/pipelineStore';
import { node } from '../helpers/nodes';

const root = mkdtempSync(path.join(tmpdir(), 'pw-runmanager-'));
after(() => rmSync(root, { recursive: true, force: true }));

class EventEmitter<T> {
  event = (_listener: (e: T) => void) => ({ dispose: () => undefined });
  fire(_e: T): void {}
  dispose(): void {}
}
const vscodeStub = {
  EventEmitter,
  Uri: { file: (p: string) => ({ fsPath: p, path: p }) },
  workspace: { getConfiguration: () => ({ get: (key: string) => (key === 'storePath' ? root : undefined) }) },
};
const loader = Module as unknown as { _load: (req: string, ...rest: unknown[]) => unknown };
const realLoad = loader._load;
loader._load = (req: string, ...rest: unknown[]) => (req === 'vscode' ? vscodeStub : realLoad(req, ...rest));

test('RunManager.stored lists the good pipelines of a store that also holds one with an empty meta.json', async () => {
  const { RunManager } = await import('../../extension/runManager');
  const store = new PipelineStore(root);
  const doc = (name: string) => ({ pipewright: 1 as const, name, file: `/x/${name}.py`, nodes: [node('/', 'Exec', 'echo')] });
  const good = store.create(doc('good')).id;
  const broken = store.create(doc('broken')).id;
  writeFileSync(path.join(store.dir(broken), 'meta.json'), '');

  const runs = new RunManager(() => ({ command: 'false', args: [] }));
  assert.deepEqual(
    runs.stored().map((m) => m.id),
    [good],
  );
});
