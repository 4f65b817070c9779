// What the timeline draws: bars per row (executions for Exec nodes, "rounds" for containers), the
// time axis, and the history of a node. Pure.
import type { NodeState } from '../protocol/runner';
import type { ExecutionBrief } from '../protocol/webviewMessages';
import { executionState, formatDuration } from './format';
import type { NodeIndex } from './nodeIndex';

/**
 * One run of a container: its Exec nodes' executions that overlap or follow each other closely.
 * A reset with some children skipped shows as a round with fewer leaves run, so the effect of
 * skipping on run time reads off the list.
 */
export interface Round {
  start: number;
  end: number;
  running: boolean;
  /** Executions in the round. */
  executions: number;
  /** Distinct Exec nodes that ran in it. */
  leaves: number;
  errors: number;
  killed: number;
  peakMemoryBytes: number | null;
  state: NodeState;
}

/** Executions this close after the previous ones belong to the same round. */
export const ROUND_GAP_MS = 1500;

interface Span {
  path: string;
  e: ExecutionBrief;
}

export function roundsOf(spans: readonly Span[], now: number, gapMs = ROUND_GAP_MS): Round[] {
  const sorted = [...spans].sort((a, b) => a.e.startedAt - b.e.startedAt);
  const rounds: Round[] = [];
  let cur: (Round & { paths: Set<string> }) | undefined;
  for (const { path, e } of sorted) {
    const end = e.endedAt ?? now;
    if (!cur || e.startedAt > cur.end + gapMs) {
      if (cur) rounds.push(finish(cur));
      cur = { start: e.startedAt, end, running: false, executions: 0, leaves: 0, errors: 0, killed: 0, peakMemoryBytes: null, state: 'done', paths: new Set() };
    }
    cur.end = Math.max(cur.end, end);
    cur.executions++;
    cur.paths.add(path);
    const s = executionState(e);
    if (s === 'running') cur.running = true;
    if (s === 'error') cur.errors++;
    if (s === 'killed') cur.killed++;
    if (typeof e.peakMemoryBytes === 'number') cur.peakMemoryBytes = Math.max(cur.peakMemoryBytes ?? 0, e.peakMemoryBytes);
  }
  if (cur) rounds.push(finish(cur));
  return rounds;
}

function finish(r: Round & { paths: Set<string> }): Round {
  const { paths, ...round } = r;
  round.leaves = paths.size;
  round.state = round.running ? 'running' : round.errors ? 'error' : round.killed ? 'killed' : 'done';
  return round;
}

export interface Bar {
  start: number;
  end: number;
  state: NodeState;
  /** Exec rows: the execution; container rows: the round's index. */
  execution?: string;
  round?: number;
}

/** Rounds per container, kept until one of its nodes changes. */
export class TimelineModel {
  private readonly roundCache = new Map<string, Round[]>();
  private cachedAt = 0;

  constructor(private readonly index: NodeIndex) {}

  /** Forget the rounds of these paths (a delta lists every changed node and its ancestors). */
  invalidate(paths: Iterable<string> | 'all'): void {
    if (paths === 'all') this.roundCache.clear();
    else for (const p of paths) this.roundCache.delete(p);
  }

  rounds(path: string, now: number): Round[] {
    const node = this.index.get(path);
    if (!node) return [];
    // Running rounds grow with the clock: recompute them at most every second.
    if (now - this.cachedAt > 1000) {
      for (const [p, r] of this.roundCache) if (r.some((x) => x.running)) this.roundCache.delete(p);
      this.cachedAt = now;
    }
    let r = this.roundCache.get(path);
    if (!r) {
      const spans: Span[] = [];
      for (const leaf of this.index.leaves(path)) for (const e of leaf.executions) spans.push({ path: leaf.path, e });
      r = roundsOf(spans, now);
      this.roundCache.set(path, r);
    }
    return r;
  }

  bars(path: string, now: number): Bar[] {
    const node = this.index.get(path);
    if (!node) return [];
    if (node.type === 'Exec') return node.executions.map((e) => ({ start: e.startedAt, end: e.endedAt ?? now, state: executionState(e), execution: e.id }));
    return this.rounds(path, now).map((r, i) => ({ start: r.start, end: r.end, state: r.state, round: i }));
  }

  /** First start and last end over the whole pipeline, or null before anything ran. */
  range(now: number): { start: number; end: number } | null {
    let start = Infinity;
    let end = -Infinity;
    for (const n of this.index.byPath.values()) {
      for (const e of n.executions) {
        if (e.startedAt < start) start = e.startedAt;
        const t = e.endedAt ?? now;
        if (t > end) end = t;
      }
    }
    return start === Infinity ? null : { start, end: Math.max(end, start + 1000) };
  }
}

function tickLabel(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return formatDuration(ms);
}

const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400].map((s) => s * 1000);

/** Axis ticks at a round step, at least `minPx` apart, labelled from the start. */
export function ticks(start: number, end: number, widthPx: number, minPx = 80): { t: number; label: string }[] {
  const span = Math.max(1, end - start);
  const perPx = span / Math.max(1, widthPx);
  const step = STEPS.find((s) => s / perPx >= minPx) ?? STEPS[STEPS.length - 1]!;
  const out: { t: number; label: string }[] = [];
  for (let t = 0; t <= span; t += step) out.push({ t: start + t, label: t === 0 ? '0' : `+${tickLabel(t)}` });
  return out;
}
