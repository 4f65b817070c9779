// A large run in the pipeline panel, in a real VS Code (code-server): 6,000 nodes run, and the panel
// holds a page of a container's children at a time (extension/panel/panelPages.ts). Opening a group
// shows its first 500 and "1,500 more"; arrowing onto that row brings the next page, whose nodes
// "Go to node" then finds. The header counts every node all the same.
import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { exactText, sleep, TIMEOUTS, Workbench } from './harness';

const RUNS = 'Runs';
const ANY_RUN = /./;
const GROUP = 2000;
const LARGE_PY = `# Three groups of ${GROUP} nodes (made by test/e2e/largeRun.test.ts).
import conducto as co


def large():
    root = co.Parallel(cpu=0.25, mem=0.25)
    for g in range(3):
        group = root[f"g{g}"] = co.Parallel()
        for i in range(${GROUP}):
            group[f"n{i}"] = co.Exec("true")
    return root


if __name__ == "__main__":
    co.main(default=large)
`;

let wb: Workbench;

before(async () => {
  wb = await Workbench.start({ name: 'large-run', files: { 'large.py': LARGE_PY } });
});

after(async () => {
  await wb?.dispose();
});

test('the panel of a 6,000-node run holds a page of children at a time and brings more as asked', async () => {
  await wb.step('large-run', async () => {
    await wb.openFile('large.py');
    await wb.clickCodeLens('▶ Run pipeline');
    await wb.waitForDescription('large', /· done\b/, { under: ['large.py'], timeout: TIMEOUTS.run });
    await wb.treeItemContextMenu(ANY_RUN, 'Open Pipeline Panel', { under: [RUNS] });
    const f = await wb.panelFrame();
    const row = (p: string) => f.locator(`.tree .tree-row[data-path="${p}"]`);
    await row('/g1').waitFor();
    // Only the root is open; every node is counted in the root's row.
    assert.equal(await f.locator('.tree .tree-row[data-path^="/g1/"]').count(), 0, 'no group is sent before it is opened');
    await row('/').locator('.desc', { hasText: exactText(`D${3 * GROUP}`) }).waitFor({ timeout: TIMEOUTS.ui });

    // Opening /g1 brings its first page, and a row saying how many more there are.
    await row('/g1').locator('.twisty').click();
    await row('/g1/n0').waitFor();
    const more = f.locator('.tree .more-row');
    // The list is virtual: go to the end, where the "more" row is.
    await row('/g1').locator('.label').click();
    await f.locator('.tree').press('End');
    await more.waitFor();
    assert.match(await more.innerText(), /1,500 more/);

    // "Go to node" searches what the panel holds: n700 is not there yet.
    const search = f.locator('.tree-filter');
    await search.fill('n700');
    await search.press('Enter');
    await sleep(300);
    assert.equal(await f.locator('.details .details-title .path', { hasText: exactText('/g1/n700') }).count(), 0);

    // Arrowing up from the last row onto "… more" brings the next page: n700 is found once it came.
    await f.locator('.tree').press('End');
    await f.locator('.tree').press('ArrowUp');
    const shown = f.locator('.details .details-title .path', { hasText: exactText('/g1/n700') });
    const deadline = Date.now() + TIMEOUTS.ui;
    while (!(await shown.count())) {
      assert.ok(Date.now() < deadline, 'the second page of /g1 did not come');
      await search.fill('n700');
      await search.press('Enter');
      await sleep(250);
    }
    // Back at the end, the "more" row says how many are left.
    await f.locator('.tree').press('End');
    await f.locator('.tree .more-row', { hasText: '1,000 more' }).waitFor({ timeout: TIMEOUTS.ui });
    // A group's details count all its nodes, and say how many the panel holds.
    await f.locator('.details .details-title .path', { hasText: exactText('/g2') }).waitFor();
    assert.match((await f.locator('.details dl.facts').first().innerText()).replace(/\s+/g, ' '), /exec nodes 2000 · 0 of them shown/);
    await wb.screenshot('large-run-panel');
  });
});
