// Smoke: code-server starts with the packaged Pipewright installed, enabled and activated, and its
// commands are in the palette.
import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { Workbench } from './harness';

let wb: Workbench;

before(async () => {
  wb = await Workbench.start({ name: 'smoke' });
});

after(async () => {
  await wb?.dispose();
});

test('the extension is installed, enabled and activated', async () => {
  await wb.step('installed', async () => {
    assert.ok(wb.isActivated(), 'the extension host log records the activation');
    // The Extensions view lists it among the installed extensions, not disabled.
    await wb.runCommand('Extensions: Show Installed Extensions');
    const entry = wb.page.locator('.extensions-viewlet .monaco-list-row', { hasText: 'Pipewright' }).first();
    await entry.waitFor();
    assert.equal(await entry.locator('.extension-list-item.disabled').count(), 0, 'not disabled');
    await wb.screenshot('extensions-view');
  });
});

test('the palette has "Pipewright: Show Pipeline Tree" and the container "Pipewright" exists', async () => {
  await wb.step('palette', async () => {
    const titles = await wb.paletteEntries('Pipewright:');
    assert.ok(titles.includes('Pipewright: Show Pipeline Tree'), titles.join(' | '));
    // Running it on an open definition must not end in an error notification.
    await wb.openFile('build_and_test.py');
    await wb.runCommand('Pipewright: Show Pipeline Tree');
    await wb.openViewContainer('Pipewright');
    await wb.view('Pipelines');
    const errors = await wb.page.locator('.notifications-toasts .notification-list-item .codicon-error').count();
    assert.equal(errors, 0, `error notifications: ${(await wb.notifications()).join(' | ')}`);
    await wb.screenshot('pipewright-container');
  });
});
