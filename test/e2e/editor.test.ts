// The editor experience end to end: CodeLens → run in Docker → tree states → Problems → tree
// controls, in a real VS Code (code-server) with the packaged extension. The UI contract it checks
// (ids in protocol/lsp.ts; what the extension must render is listed in docs/e2e.md):
//   - CodeLens "▶ Run pipeline" above each pipeline function;
//   - view "Pipelines" (pipewright.pipelines) in the activity-bar container "Pipewright", with a
//     group "Runs" whose run items hold the run's node items, labelled by node name, with a
//     description starting with the node's state ("done 0.4s", "error exit 3 0.2s", "skipped");
//   - node context menu entries "Skip" and "Run / Reset";
//   - a failed node is an Error in Problems at the line defining it, its message holding the path.
import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { BROKEN_LINE, FAILING_PY } from './fixtures';
import { TIMEOUTS, Workbench } from './harness';

const RUNS = 'Runs';
/** Any run item (their labels are generated pipeline ids). */
const ANY_RUN = /./;

let wb: Workbench;

before(async () => {
  wb = await Workbench.start({ name: 'editor', files: { 'failing.py': FAILING_PY } });
});

after(async () => {
  await wb?.dispose();
});

test('build_and_test.py: the CodeLens runs the pipeline and every node ends done', async () => {
  await wb.step('build-and-test', async () => {
    await wb.openFile('build_and_test.py');
    await wb.clickCodeLens('▶ Run pipeline');
    for (const node of ['Build', 'Test', 'app', 'backend', 'metrics']) {
      const under = node === 'Build' || node === 'Test' ? [RUNS, ANY_RUN] : [RUNS, ANY_RUN, 'Test'];
      const description = await wb.waitForDescription(node, 'done', { under, timeout: TIMEOUTS.run });
      assert.match(description, /^done\b/, node);
    }
    await wb.screenshot('build-and-test-done');
  });
});

test('failing.py: the failed node is a Problem at the line that defines it', async () => {
  await wb.step('failing', async () => {
    await wb.openFile('failing.py');
    await wb.clickCodeLens('▶ Run pipeline');
    await wb.waitForDescription('broken', /^error\b/, { under: [RUNS, ANY_RUN], timeout: TIMEOUTS.run });
    assert.match(await wb.treeItemDescription('ok', { under: [RUNS, ANY_RUN] }), /^done\b/);
    const problem = await wb.waitForProblem((p) => p.message.includes('/broken'));
    assert.equal(problem.line, BROKEN_LINE, JSON.stringify(problem));
    assert.equal(problem.severity, 'error');
    assert.equal(problem.file, 'failing.py');
    assert.ok(!(await wb.problems()).some((p) => p.message.includes('/ok')), 'no problem for the node that passed');
    await wb.screenshot('failing-problems');
  });
});

test('tree controls: Skip the failed node, then Run / Reset the passed one', async () => {
  await wb.step('controls', async () => {
    await wb.treeItemContextMenu('broken', 'Skip', { under: [RUNS, ANY_RUN] });
    await wb.waitForDescription('broken', 'skipped', { under: [RUNS, ANY_RUN], timeout: TIMEOUTS.ui });
    // A skipped node is not a failure to fix: its Problem goes.
    await wb.waitForNoProblem((p) => p.message.includes('/broken'));

    const watch = await wb.watchDescriptions();
    const before = await wb.treeItemDescription('ok', { under: [RUNS, ANY_RUN] });
    await wb.treeItemContextMenu('ok', 'Run / Reset', { under: [RUNS, ANY_RUN] });
    // A second execution: the description leaves "done" (pending/queued/running) and comes back,
    // or at least changes (a new duration or time), and ends "done".
    const deadline = Date.now() + TIMEOUTS.run;
    for (;;) {
      const history = await watch.history('ok', [RUNS, ANY_RUN]);
      const last = history[history.length - 1] ?? '';
      const wentThrough = history.some((d) => !/^done\b/.test(d));
      if (/^done\b/.test(last) && (wentThrough || history.length > 1)) break;
      assert.ok(Date.now() < deadline, `"ok" did not run again (was ${JSON.stringify(before)}); descriptions seen: ${JSON.stringify(history)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    await watch.stop();
    assert.match(await wb.treeItemDescription('ok', { under: [RUNS, ANY_RUN] }), /^done\b/);
    // broken stays skipped, so it stays out of Problems; ok passed again, so it is not there either.
    assert.equal(await wb.treeItemDescription('broken', { under: [RUNS, ANY_RUN] }), 'skipped');
    const problems = await wb.problems();
    assert.ok(!problems.some((p) => p.message.includes('/broken') || p.message.includes('/ok')), JSON.stringify(problems));
    await wb.screenshot('controls');
  });
});

test('hovering a run node shows its tooltip (built on hover): path, state, command, last run', async () => {
  await wb.step('tooltip', async () => {
    const row = await wb.treeItem('ok', { under: [RUNS, ANY_RUN] });
    const hover = wb.page.locator('.monaco-hover, .workbench-hover').filter({ hasText: '/ok' }).first();
    // The pointer may already be on the row (the last context menu): leave it, then come back.
    for (let attempt = 0; ; attempt++) {
      await wb.page.mouse.move(700, 300);
      await row.hover();
      const shown = await hover.waitFor({ timeout: 5000 }).then(() => true, () => false);
      if (shown) break;
      assert.ok(attempt < 4, 'no tooltip after hovering the row five times');
    }
    const text = await hover.innerText();
    assert.match(text, /\/ok\b.*Exec, done/, text);
    assert.match(text, /last run: .* · exit 0 ·/, text);
    await wb.screenshot('tooltip');
  });
});

const CLEARML = ['clearml/pipeline.py', 'pipeline'];

test('clearml/pipeline.py: a reset step reuses its cached result; "Run Without Cache" runs it for real', async () => {
  await wb.step('clearml-cache', async () => {
    await wb.openFile('clearml/pipeline.py');
    // Its CodeLens is below the fold: the palette runs the active definition the same way.
    await wb.runCommand('Pipewright: Run Pipeline');
    // The run's nodes under its pipeline function (the Runs group is below the fold by now).
    await wb.waitForDescription('pick_best', /^done\b/, { under: CLEARML, timeout: TIMEOUTS.run });
    assert.doesNotMatch(await wb.treeItemDescription('data', { under: CLEARML }), /cached/, 'the first run computes');
    await wb.treeItemContextMenu('data', 'Run / Reset', { under: CLEARML });
    await wb.waitForDescription('data', /^done \(cached\)/, { under: CLEARML, timeout: TIMEOUTS.run });
    await wb.treeItemContextMenu('data', 'Run Without Cache', { under: CLEARML });
    await wb.waitForDescription('data', (d) => /^done\b/.test(d) && !/cached/.test(d), { under: CLEARML, timeout: TIMEOUTS.run });
    await wb.screenshot('clearml-refreshed');
  });
});
