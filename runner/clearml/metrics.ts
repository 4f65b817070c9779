// What a step reported through ClearML's Logger: the SDK appends JSON lines to the step's
// `metrics.jsonl` in the shared data folder (sdk/pipewright/clearml/logger.py); after the step the
// runner reads them (never through a link: the folder is the nodes') into the execution record,
// so they are kept with the execution and the pipeline panel draws the scalars.
import type { StepMetrics } from '../../protocol/runner';
import type { ConfinedFolder } from '../files/confinedFolder';
import { stepFolder } from './references';

export const METRICS_FILE = 'metrics.jsonl';
/** Limits: an execution record is an event line, and the panel gets it for every step. */
const MAX_BYTES = 4 * 2 ** 20;
const MAX_POINTS = 5_000;
const MAX_TEXTS = 50;
const MAX_TEXT = 4_096;
const MAX_TABLES = 20;
const MAX_ROWS = 50;
const MAX_CELLS = 20;
const MAX_CELL = 200;

const text = (value: unknown, max: number): string => String(value ?? '').slice(0, max);
const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/** The reports of a metrics.jsonl text; lines that are not reports are dropped (counted). */
export function parseMetrics(content: string): StepMetrics | undefined {
  const out: StepMetrics = { scalars: {}, single: {}, texts: [], tables: [], dropped: 0 };
  let points = 0;
  let any = false;
  for (const line of content.split('\n')) {
    if (!line.trim()) continue;
    let r: Record<string, unknown>;
    try {
      r = JSON.parse(line) as Record<string, unknown>;
      if (!r || typeof r !== 'object') throw new Error('not an object');
    } catch {
      out.dropped++;
      continue;
    }
    any = true;
    if (r.type === 'scalar' && points < MAX_POINTS) {
      const series = ((out.scalars[text(r.title, MAX_CELL)] ??= {})[text(r.series, MAX_CELL)] ??= []);
      series.push([num(r.iteration) ?? 0, num(r.value)]);
      points++;
    } else if (r.type === 'single') {
      out.single[text(r.name, MAX_CELL)] = num(r.value);
    } else if (r.type === 'text' && out.texts.length < MAX_TEXTS) {
      out.texts.push(text(r.text, MAX_TEXT));
    } else if (r.type === 'table' && out.tables.length < MAX_TABLES && Array.isArray(r.rows)) {
      const rows = (r.rows as unknown[]).slice(0, MAX_ROWS).map((row) => (Array.isArray(row) ? row.slice(0, MAX_CELLS).map((c) => text(c, MAX_CELL)) : [text(row, MAX_CELL)]));
      out.tables.push({ title: text(r.title, MAX_CELL), series: text(r.series, MAX_CELL), rows });
    } else {
      out.dropped++;
    }
  }
  return any ? out : undefined;
}

/** The step's reports, or undefined when it made none (or left no readable file). */
export function readMetrics(data: ConfinedFolder, step: string): StepMetrics | undefined {
  const bytes = data.readFile(`${stepFolder(step)}/${METRICS_FILE}`, MAX_BYTES);
  return bytes ? parseMetrics(bytes.toString('utf8')) : undefined;
}
