// A pipeline run from a real VS Code on a Docker engine elsewhere (issue 14): the
// `pipewright.dockerHost` setting names an engine this suite starts in namespaces of its own
// (scripts/test-engines.sh), sharing no files with the editor's machine. The run ends there, and the
// sidebar's tooltip and the panel's details say where each node ran.
import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { loadImages, startEngines, stopEngines } from '../helpers/testEngines';
import { exactText, TIMEOUTS, Workbench } from './harness';

const ENGINE = 1;
const RUNS = 'Runs';
const ANY_RUN = /./;

const ELSEWHERE_PY = `# Runs on the engine the pipewright.dockerHost setting names (made by test/e2e/remoteEngine.test.ts).
import conducto as co


def elsewhere():
    pipeline = co.Serial()
    pipeline["where"] = co.Exec("test -f /pipewright/src/elsewhere.py && echo has the definition")
    return pipeline


if __name__ == "__main__":
    co.main(default=elsewhere)
`;

let wb: Workbench;
let host = '';

before(async () => {
  host = startEngines([ENGINE])[0]!;
  loadImages(host, ['pipewright/python:latest']);
  wb = await Workbench.start({ name: 'remote-engine', files: { 'elsewhere.py': ELSEWHERE_PY }, settings: { 'pipewright.dockerHost': host } });
});

after(async () => {
  try {
    await wb?.dispose();
  } finally {
    stopEngines([ENGINE]);
  }
});

test('a run on the engine the setting names: done there, and the panel says where each node ran', async () => {
  await wb.step('remote-engine', async () => {
    await wb.openFile('elsewhere.py');
    await wb.clickCodeLens('▶ Run pipeline');
    const ELSEWHERE = ['elsewhere.py', 'elsewhere'];
    await wb.waitForDescription('where', /^done\b/, { under: ELSEWHERE, timeout: TIMEOUTS.run });
    await wb.treeItemContextMenu(ANY_RUN, 'Open Pipeline Panel', { under: [RUNS] });
    const f = await wb.panelFrame();
    await f.locator('.tree .tree-row[data-path="/where"] .label').click();
    await f.locator('.details .details-title .path', { hasText: exactText('/where') }).waitFor();
    const facts = f.locator('.details dl.facts:not(.readonly-params)');
    await facts.locator('dt', { hasText: exactText('ran on') }).waitFor({ timeout: TIMEOUTS.ui });
    const text = (await facts.innerText()).replace(/\s+/g, ' ');
    assert.match(text, new RegExp(`ran on pw-engine${ENGINE} \\(${host.replace(/[./]/g, '\\$&')}\\)`), text);
    await wb.screenshot('remote-engine-details');
    // The log came back from the engine, where the definition was copied.
    await f.locator('#tab-logs').click();
    await f.locator('.logs .xterm-rows', { hasText: 'has the definition' }).waitFor({ timeout: TIMEOUTS.ui });
  });
});
