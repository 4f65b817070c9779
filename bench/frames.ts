/**
 * Frame-time figures for the benches that drive a real VS Code (tree_view.ts, log_view.ts): what
 * they print and how they scroll, so both report smoothness the same way.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';

export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export interface Frames {
  frames: number;
  p50: number;
  p95: number;
  max: number;
  /** Frames over 50 ms: a stutter a user sees. */
  janky: number;
  longTasks: number;
  longTaskMs: number;
}

/** Figures from requestAnimationFrame intervals and long-task durations (ms). */
export function summarizeFrames(gaps: number[], longTasks: number[]): Frames {
  const sorted = [...gaps].sort((a, b) => a - b);
  return {
    frames: gaps.length,
    p50: quantile(sorted, 0.5),
    p95: quantile(sorted, 0.95),
    max: sorted[sorted.length - 1] ?? NaN,
    janky: gaps.filter((g) => g > 50).length,
    longTasks: longTasks.length,
    longTaskMs: longTasks.reduce((a, b) => a + b, 0),
  };
}

export function printFrames(what: string, f: Frames): void {
  console.log(`${what}: ${f.frames} frames, p50 ${f.p50.toFixed(1)} ms, p95 ${f.p95.toFixed(1)} ms, max ${f.max.toFixed(0)} ms, ${f.janky} over 50 ms, ${f.longTasks} long tasks (${f.longTaskMs.toFixed(0)} ms)`);
}

export function printLag(what: string, samples: number[]): void {
  const s = [...samples].sort((a, b) => a - b);
  console.log(`${what}: ${s.length} samples, p50 ${quantile(s, 0.5)} ms, p95 ${quantile(s, 0.95)} ms, max ${s[s.length - 1]} ms`);
}

/** Mouse-wheel scrolling, one way then back, as someone reading would: a step every 40 ms. */
export async function scrollFor(page: Page, over: { x: number; y: number }, ms: number, delta = 300): Promise<void> {
  await page.mouse.move(over.x, over.y);
  const end = Date.now() + ms;
  let step = 0;
  while (Date.now() < end) {
    await page.mouse.wheel(0, step++ % 40 < 20 ? delta : -delta);
    await sleep(40);
  }
}
