// The runner's side of a decorated pipeline's controller (runner/clearml/decoratedController.ts),
// without Docker: a stand-in `pipewright.clearml.decorated_host` (on its own PYTHONPATH) sends
// requests a real body never would, and the controller must refuse them, saying why.
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import type { ExecutionRecord } from '../../protocol/runner';
import { DecoratedController } from '../../runner/clearml/decoratedController';
import { RunTree } from '../../runner/model/runTree';
import { PipelineSpace } from '../../runner/store/pipelineSpace';
import { node } from '../helpers/nodes';

const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewright-decorated-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const STAND_IN = `
import json, sys
def ask(message):
    print(json.dumps(message), flush=True)
    while True:
        reply = json.loads(sys.stdin.readline())
        if "answer" not in reply and "call" not in reply:
            sys.stderr.write("%s -> %s\\n" % (message.get("tag"), json.dumps(reply, sort_keys=True)))
            return reply
step = {"path": "/s", "type": "Exec", "command": "c", "params": PARAMS, "parents": [], "source": {"file": "f", "line": 1},
        "step": {"kind": "function", "name": "s"}}
ask({"id": 1, "tag": "nested", "op": "add", "node": dict(step, path="/a/b")})
ask({"id": 2, "tag": "task", "op": "add", "node": dict(step, step={"kind": "task"})})
ask({"id": 3, "tag": "good", "op": "add", "node": step})
ask({"id": 4, "tag": "unknown parent", "op": "add", "node": dict(step, path="/t", parents=["/nope"])})
ask({"id": 5, "tag": "bad name", "op": "upload", "artifact": "../x", "sha256": "0" * 64, "data": ""})
ask({"id": 6, "tag": "no result", "op": "artifact", "name": "s", "artifact": "out"})
ask({"id": 7, "tag": "not a step", "op": "wait", "name": "flow"})
ask({"id": 8, "tag": "upload", "op": "upload", "sha256": "a" * 64, "data": "aGk="})
`;

test('the controller refuses requests that are not a step of this pipeline, and says why', async () => {
  const sdk = path.join(dir, 'sdk', 'pipewright', 'clearml');
  mkdirSync(sdk, { recursive: true });
  writeFileSync(path.join(dir, 'sdk', 'pipewright', '__init__.py'), '');
  writeFileSync(path.join(sdk, '__init__.py'), '');
  writeFileSync(path.join(sdk, 'decorated_host.py'), STAND_IN.replace('PARAMS', JSON.stringify(node('/s', 'Exec', 'c').params).replace(/false/g, 'False').replace(/true/g, 'True').replace(/null/g, 'None')));
  const file = path.join(dir, 'pipeline.py');
  writeFileSync(file, '');
  const tree = new RunTree([node('/', 'Parallel'), { ...node('/flow', 'Exec', 'body'), decorated: { file, function: 'flow', components: ['s'] } }]);
  const space = new PipelineSpace(path.join(dir, 'space'));
  space.ensure();
  const controller = new DecoratedController({
    tree,
    space,
    definitionFile: file,
    sdkDir: path.join(dir, 'sdk'),
    python: 'python3',
    parameters: () => ({}),
    addSteps: (nodes) => void tree.append(tree.root, nodes),
    dependencies: () => undefined,
  });
  const leaf = tree.get('/flow');
  assert.ok(DecoratedController.applies(tree) && controller.isController(leaf));
  const execution = { id: 'e1' } as ExecutionRecord;
  let log = '';
  const outcome = await controller.run(leaf, execution, new AbortController().signal, (text) => (log += text));
  assert.equal(outcome.exitCode, 0, log);
  assert.match(log, /nested -> \{"error": "step \/a\/b must be a child of the root"/);
  assert.match(log, /task -> \{"error": "step \/s must be a function step"/);
  assert.match(log, /good -> \{"id": 3\}/);
  assert.match(log, /unknown parent -> \{"error": "step \/t depends on \/nope, which is not a step of this pipeline"/);
  assert.match(log, /bad name -> \{"error": "artifact name \.\.\/x is invalid"/);
  assert.match(log, /no result -> \{"error": "step s left no result"/);
  assert.match(log, /not a step -> \{"error": "no step flow in this pipeline"/);
  assert.match(log, /upload -> \{"id": 8, "path": "\/pipewright\/data\/clearml\/\.pipeline\/inputs\/a{64}\.pkl"\}/);
  assert.deepEqual(tree.root.children.map((c) => c.path), ['/flow', '/s'], 'only the good step was added');
  assert.equal(execution.image, '(this machine)');
  // The request from a step's callback reaches nobody once the body has ended.
  await assert.rejects(controller.request('pre', { step: 's' }), /not running/);
});
