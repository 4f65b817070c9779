// What surrounds Pipewright in the editor: the Python extension's selected interpreter is the one
// definitions are evaluated with (a stand-in ms-python.python, test/e2e/fake-python-extension), and
// a node whose image is being built shows a progress notification until it starts.
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { packExtension, TIMEOUTS, Workbench } from './harness';

// A fresh token: the image's content hash is new, so it is built now, not found in the cache.
const IMAGE_PY = `import conducto as co


def run():
    image = co.Image(dockerfile_text="FROM pipewright/python:latest\\nRUN echo ${randomUUID()} && sleep 4\\n")
    root = co.Serial(image=image)
    root["built"] = co.Exec("echo built")
    return root


if __name__ == "__main__":
    co.main(default=run)
`;

let wb: Workbench;
let tmp: string;

before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'pipewright-fake-python-'));
  const vsix = await packExtension(path.join(__dirname, 'fake-python-extension'), path.join(tmp, 'python.vsix'));
  wb = await Workbench.start({ name: 'surroundings', extraVsix: [vsix], files: { 'image_build.py': IMAGE_PY } });
});

after(async () => {
  await wb?.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

test('a run evaluates its definition with the interpreter the Python extension selected', async () => {
  await wb.step('python-interpreter', async () => {
    await wb.openFile('build_and_test.py');
    await wb.clickCodeLens('▶ Run pipeline');
    await wb.waitForDescription('Build', /^done\b/, { under: ['build_and_test.py', 'run'], timeout: TIMEOUTS.run });
    const marker = path.join(wb.workspace, '.fake-python-used');
    assert.ok(existsSync(marker), 'the interpreter from the Python extension was never run');
    assert.match(readFileSync(marker, 'utf8'), /build_and_test\.py/);
  });
});

test('a node whose image is built shows a progress notification until it starts', async () => {
  await wb.step('image-progress', async () => {
    await wb.openFile('image_build.py');
    await wb.clickCodeLens('▶ Run pipeline');
    const toast = wb.page.locator('.notifications-toasts .notification-list-item', { hasText: 'preparing the image of /built' }).first();
    await toast.waitFor({ timeout: TIMEOUTS.run });
    await wb.screenshot('image-progress');
    await wb.waitForDescription('built', /^done\b/, { under: ['image_build.py', 'run'], timeout: TIMEOUTS.run });
    await toast.waitFor({ state: 'detached', timeout: TIMEOUTS.ui });
  });
});
