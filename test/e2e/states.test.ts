// States as a user reads them, in a real VS Code (code-server) with the packaged extension (issue
// 13, "the sidebar and panel tell the truth"):
//   - a sleeping run shows as sleeping (its row and its nodes), not pending;
//   - a Lazy's Execute is pending while Generate runs, not "done" before anything ran;
//   - unskipping an errored node brings its Problem back;
//   - a node the user kills reads "killed" once and is no Error in Problems (an information).
import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { BROKEN_LINE, FAILING_PY } from './fixtures';
import { TIMEOUTS, Workbench } from './harness';

const RUNS = 'Runs';
const ANY_RUN = /./;

const NAP_PY = `# A long node to put to sleep (made by test/e2e/states.test.ts).
import conducto as co


def nap():
    pipeline = co.Serial()
    pipeline["dozing"] = co.Exec("sleep 120")
    pipeline["later"] = co.Exec("echo later")
    return pipeline


if __name__ == "__main__":
    co.main(default=nap)
`;

const LAZY_PY = `# A Lazy whose Generate takes a while (made by test/e2e/states.test.ts).
import time

import conducto as co


def lazy():
    return co.Lazy(make)


def make():  # not annotated: the editor evaluates annotated functions, and this one sleeps
    time.sleep(12)
    out = co.Serial()
    out["generated"] = co.Exec("echo generated")
    return out


if __name__ == "__main__":
    co.main(default=lazy)
`;

const KILL_PY = `# A long node to kill (made by test/e2e/states.test.ts).
import conducto as co


def slow():
    pipeline = co.Serial()
    pipeline["long_task"] = co.Exec("sleep 120")
    return pipeline


if __name__ == "__main__":
    co.main(default=slow)
`;

let wb: Workbench;

before(async () => {
  wb = await Workbench.start({ name: 'states', files: { 'nap.py': NAP_PY, 'lazy_gen.py': LAZY_PY, 'kill_me.py': KILL_PY, 'failing.py': FAILING_PY } });
});

after(async () => {
  await wb?.dispose();
});

// First: while it is the only run, the Runs group has one row to put to sleep.
test('a sleeping run shows as sleeping: its row and its unfinished nodes', async () => {
  await wb.step('sleeping', async () => {
    await wb.openFile('nap.py');
    await wb.clickCodeLens('▶ Run pipeline');
    const NAP = ['nap.py', 'nap'];
    await wb.waitForDescription('dozing', /^running\b/, { under: NAP, timeout: TIMEOUTS.run });
    await wb.treeItemContextMenu(ANY_RUN, 'Sleep', { under: [RUNS] });
    const run = await wb.waitForDescription(ANY_RUN, /^sleeping\b/, { under: [RUNS], timeout: TIMEOUTS.run });
    assert.doesNotMatch(run, /pending/, run);
    assert.match(await wb.waitForDescription('dozing', /^sleeping\b/, { under: NAP, timeout: TIMEOUTS.ui }), /^sleeping/);
    assert.match(await wb.waitForDescription('later', /^sleeping\b/, { under: NAP, timeout: TIMEOUTS.ui }), /^sleeping/);
    // The pipeline function's row names its latest run and that run's state.
    assert.match(await wb.waitForDescription('nap', /· sleeping\b/, { under: ['nap.py'], timeout: TIMEOUTS.ui }), /sleeping/);
    await wb.screenshot('sleeping');
  });
});

test("an empty Lazy Execute is pending while Generate runs, and done once its children ran", async () => {
  await wb.step('lazy', async () => {
    await wb.openFile('lazy_gen.py');
    await wb.clickCodeLens('▶ Run pipeline');
    const LAZY = ['lazy_gen.py', 'lazy'];
    const watch = await wb.watchDescriptions();
    await wb.waitForDescription('Generate', /^running\b/, { under: LAZY, timeout: TIMEOUTS.run });
    assert.match(await wb.treeItemDescription('Execute', { under: LAZY }), /^pending\b/);
    await wb.screenshot('lazy-generating');
    await wb.waitForDescription('generated', /^done\b/, { under: [...LAZY, 'Execute'], timeout: TIMEOUTS.run });
    assert.match(await wb.waitForDescription('Execute', /^done\b/, { under: LAZY, timeout: TIMEOUTS.ui }), /^done/);
    // Never "done" before its children were generated and ran.
    const seen = await watch.history('Execute', LAZY);
    await watch.stop();
    const firstDone = seen.findIndex((d) => /^done\b/.test(d));
    assert.ok(firstDone === seen.length - 1 || seen.slice(firstDone).every((d) => /^done\b/.test(d)), JSON.stringify(seen));
    assert.ok(seen.slice(0, Math.max(0, firstDone)).every((d) => !/^done\b/.test(d)), JSON.stringify(seen));
  });
});

test("unskipping an errored node brings its Problem back", async () => {
  await wb.step('unskip', async () => {
    await wb.openFile('failing.py');
    await wb.clickCodeLens('▶ Run pipeline');
    const FAILING = ['failing.py', 'run'];
    await wb.waitForDescription('broken', /^error\b/, { under: FAILING, timeout: TIMEOUTS.run });
    const broken = (p: { message: string }) => p.message.includes('/broken');
    await wb.waitForProblem(broken);
    await wb.treeItemContextMenu('broken', 'Skip', { under: FAILING });
    await wb.waitForDescription('broken', 'skipped', { under: FAILING, timeout: TIMEOUTS.ui });
    await wb.waitForNoProblem(broken);
    await wb.treeItemContextMenu('broken', 'Unskip', { under: FAILING });
    await wb.waitForDescription('broken', /^error\b/, { under: FAILING, timeout: TIMEOUTS.ui });
    const problem = await wb.waitForProblem(broken, TIMEOUTS.ui);
    assert.equal(problem.severity, 'error');
    assert.equal(problem.line, BROKEN_LINE);
    await wb.screenshot('unskipped-problem');
  });
});

test('a node the user kills reads "killed" once and is no Error in Problems', async () => {
  await wb.step('kill', async () => {
    await wb.openFile('kill_me.py');
    await wb.clickCodeLens('▶ Run pipeline');
    const SLOW = ['kill_me.py', 'slow'];
    await wb.waitForDescription('long_task', /^running\b/, { under: SLOW, timeout: TIMEOUTS.run });
    await wb.treeItemContextMenu('long_task', 'Kill', { under: SLOW });
    const description = await wb.waitForDescription('long_task', /^killed\b/, { under: SLOW, timeout: TIMEOUTS.run });
    assert.doesNotMatch(description, /killed.*killed/, description);
    const problem = await wb.waitForProblem((p) => p.message.includes('/long_task'), TIMEOUTS.ui);
    assert.equal(problem.severity, 'info', JSON.stringify(problem));
    assert.match(problem.message, /\/long_task was killed/);
    assert.doesNotMatch(problem.message, /killed.*killed/);
    await wb.screenshot('killed');
  });
});
