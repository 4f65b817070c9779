// Conducto's definition-time API run on the real engine: the fixtures in test/sdk/conducto_style
// (construction styles of Conducto's examples) run with `pipewright run`, and the nodes print
// what the definition meant.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { createRunContext } from '../../runner/runContext';
import { cli, cliJs, ensureBuilt, repo } from '../helpers/cli';
import { leftoverContainers, TEST_IMAGE } from '../helpers/runnerHarness';

const scratch = mkdtempSync(path.join(os.tmpdir(), 'pipewright-conducto-api-'));
const store = path.join(scratch, 'store');
const env = { PIPEWRIGHT_HOME: store, PIPEWRIGHT_DEFAULT_IMAGE: TEST_IMAGE, PIPEWRIGHT_CLI: cliJs };
const api = path.join(repo, 'test', 'sdk', 'conducto_style', 'definition_api.py');
before(ensureBuilt);
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs FUNC of the fixture to its end; returns the pipeline id. */
async function run(func: string, ...args: string[]): Promise<string> {
  const result = await cli(['run', api, func, ...args, '--json'], env);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const events = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as { pipeline: string; type: string; state?: string });
  assert.deepEqual([events.at(-1)!.type, events.at(-1)!.state], ['finished', 'done']);
  const id = events[0]!.pipeline;
  assert.deepEqual(await leftoverContainers(await createRunContext({ storeRoot: store }), [id]), []);
  return id;
}

async function logs(id: string, nodePath: string): Promise<string> {
  const result = await cli(['logs', id, nodePath], env);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}

test('an indented heredoc ends at its terminator and the rest of the command runs', async () => {
  // Before: the terminator stayed indented, the heredoc swallowed the script, the node was "done".
  const id = await run('heredoc');
  assert.equal(await logs(id, '/write'), 'hello\n  indented\nafter the heredoc\n');
});

test("function keywords named like node params reach the function; to_str/from_str types arrive as the type", async () => {
  const id = await run('params');
  assert.equal(await logs(id, '/shared'), 'report: cpu 3600, memory 16 GB\n');
  assert.equal(await logs(id, '/mood'), 'feeling happy as a Mood\n');
});

test('a command assigned after construction is the one that runs', async () => {
  const id = await run('count_fixed', '--n=3');
  assert.equal(await logs(id, '/count'), 'fixed count to 3\n');
});
