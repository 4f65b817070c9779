// Self-test of the e2e harness against a fixture extension (test/e2e/fixture-extension) with the
// same kinds of UI Pipewright uses: an activity-bar container, a tree with descriptions, context
// menus and inline actions, a CodeLens and an Error diagnostic. It keeps the harness honest
// independently of Pipewright's own UI.
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { packExtension, Workbench } from './harness';

const FIXTURE_SOURCE = `# A file the fixture extension puts a CodeLens on.
def run():
    ok = "echo ok"
    broken = "exit 3"
`;

let wb: Workbench;
let tmp: string;

before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'pipewright-fixture-'));
  const vsix = await packExtension(path.join(__dirname, 'fixture-extension'), path.join(tmp, 'fixture.vsix'));
  wb = await Workbench.start({ name: 'harness', extraVsix: [vsix], waitForExtension: 'pipewright-test.harness-fixture', files: { 'demo.fixture.py': FIXTURE_SOURCE } });
});

after(async () => {
  const root = wb?.root;
  await wb?.dispose();
  if (root) assert.equal(existsSync(root), false, 'dispose removes the session folder');
  rmSync(tmp, { recursive: true, force: true });
});

test('command palette: lists and runs a contributed command', async () => {
  await wb.step('palette', async () => {
    assert.ok((await wb.paletteEntries('Fixture: Say')).includes('Fixture: Say Hello'));
    await wb.runCommand('Fixture: Say Hello');
    await wb.page.locator('.notifications-toasts .notification-list-item-message', { hasText: 'Hello from the fixture' }).waitFor();
    // What failure reports quote: every notification, read from the notification center.
    const log = await wb.notificationLog();
    assert.ok(log.some((m) => m.includes('Hello from the fixture')), JSON.stringify(log));
    await wb.page.keyboard.press('Escape');
  });
});

test('tree: container, nested items, descriptions, context menu, inline action', async () => {
  await wb.step('tree', async () => {
    // 'alpha' is inside the collapsed 'group': treeItem expands it.
    assert.equal(await wb.treeItemDescription('alpha', { under: ['group'], view: 'Items', container: 'Fixture' }), 'pending #0');
    const rows = await wb.treeRows('Items', 'Fixture');
    assert.deepEqual(rows.map((r) => [r.label, r.level, r.expanded]), [['group', 1, true], ['alpha', 2, undefined], ['beta', 2, undefined]]);

    await wb.treeItemContextMenu('alpha', 'Run / Reset', { view: 'Items', container: 'Fixture' });
    assert.equal(await wb.waitForDescription('alpha', 'done #1', { view: 'Items', container: 'Fixture', timeout: 30_000 }), 'done #1');

    await wb.treeItemContextMenu('beta', 'Skip', { view: 'Items', container: 'Fixture' });
    await wb.waitForDescription('beta', 'skipped', { view: 'Items', container: 'Fixture', timeout: 30_000 });

    await wb.clickInlineAction('alpha', 'Skip', { view: 'Items', container: 'Fixture' });
    await wb.waitForDescription('alpha', 'skipped', { view: 'Items', container: 'Fixture', timeout: 30_000 });

    // A missing entry fails with the menu's actual entries in the message.
    await assert.rejects(wb.treeItemContextMenu('alpha', 'No Such Entry', { view: 'Items', container: 'Fixture' }), /has no "No Such Entry"; it has: Run \/ Reset/);
    await wb.screenshot('tree');
  });
});

test('editor: Quick Open, CodeLens, Problems panel', async () => {
  await wb.step('lens', async () => {
    await wb.openFile('demo.fixture.py');
    await wb.clickCodeLens('▶ Run fixture');
    const problem = await wb.waitForProblem((p) => p.message.includes('/broken'), 30_000);
    assert.equal(problem.line, 4, JSON.stringify(problem));
    assert.equal(problem.severity, 'error');
    assert.equal(problem.file, 'demo.fixture.py');
    await wb.waitForDescription('beta', /^error #\d/, { view: 'Items', container: 'Fixture', timeout: 30_000 });
    await wb.screenshot('problems');

    await wb.treeItemContextMenu('beta', 'Run / Reset', { view: 'Items', container: 'Fixture' });
    await wb.waitForNoProblem((p) => p.message.includes('/broken'));
  });
});
