// A ClearML pipeline's Logger reports in the pipeline panel (issue 12), in a real VS Code
// (code-server) with the packaged extension: run a PipelineController whose steps report scalars,
// a single value and a table; open the panel's Metrics tab: for the pipeline (the root) one chart
// per title with a line per step and series; for a step, its own series and reports. Screenshots:
// test-artifacts/e2e/metrics-across-steps.png and metrics-one-step.png.
import { strict as assert } from 'node:assert';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Frame } from 'playwright-core';
import { ARTIFACTS, sleep, TIMEOUTS, Workbench } from './harness';

const PIPELINE_PY = `# Steps that report through ClearML's Logger (made by test/e2e/metrics.test.ts).
from clearml import PipelineController


def train(epochs: int = 20):
    import math
    from clearml import Logger
    log = Logger.current_logger()
    for i in range(epochs):
        log.report_scalar("loss", "train", math.exp(-i / 6), iteration=i)
        log.report_scalar("loss", "test", math.exp(-i / 8) + 0.05, iteration=i)
    log.report_single_value("epochs", epochs)
    return 0.91


def evaluate(score):
    from clearml import Logger
    log = Logger.current_logger()
    for i in range(5):
        log.report_scalar("loss", "eval", 0.45 - i * 0.06, iteration=i * 4)
    log.report_table("summary", "scores", table_plot=[["metric", "value"], ["accuracy", str(score)]])


pipe = PipelineController(name="metrics demo", project="demo", version="1")
pipe.add_function_step("train", train, function_return=["score"])
pipe.add_function_step("evaluate", evaluate, function_kwargs={"score": "\${train.score}"})

if __name__ == "__main__":
    pipe.start()
`;

const UNDER = ['Runs', /./];

let wb: Workbench;

before(async () => {
  wb = await Workbench.start({ name: 'metrics', files: { 'metrics_demo.py': PIPELINE_PY }, settings: { 'workbench.colorTheme': 'Dark Modern' } });
});

after(async () => {
  await wb?.dispose();
});

function panel(timeout = TIMEOUTS.ui): Promise<Frame> {
  return wb.panelFrame(timeout);
}

async function panelShot(name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await wb.page.locator('.part.editor').screenshot({ path: path.join(ARTIFACTS, `${name}.png`), timeout: 15_000 });
}

async function legend(f: Frame, title: string): Promise<string[]> {
  return f.locator(`.metrics-chart[data-title="${title}"] .metrics-legend li`).allInnerTexts();
}

test('a step\'s Logger scalars are plots in the panel: across steps for the pipeline, per step for a step', async () => {
  await wb.step('metrics', async () => {
    await wb.openFile('metrics_demo.py');
    await wb.clickCodeLens('▶ Run pipeline');
    await wb.waitForDescription('evaluate', /^done\b/, { under: UNDER, timeout: TIMEOUTS.run });
    await wb.treeItemContextMenu(/./, 'Open Pipeline Panel', { under: ['Runs'] });
    const f = await panel();
    await f.locator('.tree .tree-row[data-path="/"] .label').click();
    await f.locator('#tab-metrics').click();
    await f.locator('#tab-metrics[aria-selected="true"]').waitFor();

    // The pipeline: one chart "loss" with a line per step and series.
    await f.locator('.metrics-chart[data-title="loss"]').waitFor({ timeout: TIMEOUTS.ui });
    assert.deepEqual(await legend(f, 'loss'), ['train · train', 'train · test', 'evaluate · eval']);
    assert.equal(await f.locator('.metrics-chart[data-title="loss"] polyline.metrics-line').count(), 3);
    const points = (await f.locator('.metrics-chart[data-title="loss"] polyline.metrics-line').first().getAttribute('points')) ?? '';
    assert.equal(points.trim().split(' ').length, 20, 'every reported iteration is a point');
    const paint = await f.locator('.metrics-chart[data-title="loss"] polyline.metrics-line').first().evaluate((el) => [getComputedStyle(el).fill, getComputedStyle(el).stroke]);
    assert.equal(paint[0], 'none', 'a line, not a filled shape');
    assert.notEqual(paint[1], 'none');
    assert.match(await f.locator('.metrics-reports[data-step="evaluate"]').innerText(), /accuracy\s+0\.91/);
    await sleep(300);
    await panelShot('metrics-across-steps');

    // A step: its own series, and its single value.
    await f.locator('.tree .tree-row[data-path="/train"] .label').click();
    await f.locator('.metrics .graph-title', { hasText: /\/train/ }).waitFor();
    assert.deepEqual(await legend(f, 'loss'), ['train', 'test']);
    assert.match(await f.locator('.metrics-reports').innerText(), /epochs\s+20/);
    await sleep(300);
    await panelShot('metrics-one-step');
  });
});
