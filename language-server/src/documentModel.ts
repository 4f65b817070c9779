import { readFile } from 'node:fs/promises';
import type { TextDocuments } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { CancellationToken } from 'vscode-languageserver/node';
import type { PipelineEntry } from '../../protocol/lsp';
import type { DefinitionError, PipelineDocument } from '../../protocol/pipeline';
import { filePathOf, importsPipelineSdk, isPythonDocument } from './definitionDetector';
import type { Evaluator, OutlineSymbol } from '../../evaluator/evaluator';
import type { EffectiveSettings } from './settings';
import { SourceLines } from './sourceText';

// Per document: the last completed evaluation (a Snapshot), the last good trees kept while the
// text does not evaluate, and the evaluation under way. Edits are debounced; a new edit kills
// the evaluation of the previous text. Providers read snapshots, never start evaluations.

export const UNTRUSTED_NOTICE =
  'Pipeline code is not run in an untrusted workspace: this outline comes from the file\'s syntax alone (no evaluated trees, parameters or evaluation errors). Trust the workspace to evaluate it.';

/** Something for the Problems panel. */
export interface Problem {
  error: DefinitionError;
  /** Line (1-based) to show it on when error.file is another file: the pipeline's, else 1. */
  fallbackLine: number;
}

export interface Snapshot {
  uri: string;
  version: number;
  trusted: boolean;
  isDefinition: boolean;
  file?: string;
  /** The text this snapshot's evaluation read. */
  source: SourceLines;
  /** What `pipewright/tree` answers: documents may be the last good ones (see notice). */
  pipelines: PipelineEntry[];
  /** Untrusted: the outline's symbols (from the ast). */
  outline?: OutlineSymbol[];
  problems: Problem[];
  notice?: string;
  /** Changes exactly when the answer to `pipewright/tree` changes. */
  signature: string;
}

/** What a document keeps from its last successful evaluations. */
export interface GoodState {
  /** Last document of each pipeline name that evaluated. */
  documents: Map<string, PipelineDocument>;
  /** Entries of the last evaluation that completed (file-level failures show these). */
  entries?: PipelineEntry[];
  outline?: { pipelines: PipelineEntry[]; symbols: OutlineSymbol[] };
}

export function newGoodState(): GoodState {
  return { documents: new Map() };
}

/** Evaluate (trusted) or outline (untrusted) one text; never throws; undefined when cancelled. */
export async function computeSnapshot(
  evaluator: Evaluator,
  settings: EffectiveSettings,
  doc: { uri: string; version: number; languageId: string; text: string },
  good: GoodState,
  signal: AbortSignal,
): Promise<Snapshot | undefined> {
  const { uri, version, text } = doc;
  const file = filePathOf(uri);
  const base = { uri, version, trusted: settings.trusted, file, source: new SourceLines(text), problems: [] as Problem[] };
  if (!file || !isPythonDocument(uri, doc.languageId) || !importsPipelineSdk(text)) {
    return { ...base, isDefinition: false, pipelines: [], signature: 'none' };
  }
  if (!settings.trusted) {
    const outline = await evaluator.outline(file, text, settings, signal);
    if (outline.kind === 'cancelled') return undefined;
    if (outline.kind === 'failed') {
      const kept = good.outline;
      return {
        ...base,
        isDefinition: true,
        pipelines: kept?.pipelines ?? [],
        outline: kept?.symbols ?? [],
        problems: [{ error: { file, line: 1, column: 1, message: outline.message, kind: 'internal' }, fallbackLine: 1 }],
        notice: `${UNTRUSTED_NOTICE} ${outline.message}`,
        signature: `untrusted|failed|${outline.message}`,
      };
    }
    const result = outline.result;
    if (result.error) {
      const kept = good.outline;
      const notice = `${UNTRUSTED_NOTICE} The current text has a syntax error${kept ? ': showing the last outline that parsed' : ''}.`;
      return {
        ...base,
        isDefinition: result.isDefinition,
        pipelines: kept?.pipelines ?? [],
        outline: kept?.symbols ?? [],
        problems: [{ error: result.error, fallbackLine: 1 }],
        notice,
        signature: `untrusted|${notice}|${outline.raw}|${kept ? JSON.stringify(kept) : ''}`,
      };
    }
    if (!result.isDefinition) return { ...base, isDefinition: false, pipelines: [], signature: 'none' };
    good.outline = { pipelines: result.pipelines, symbols: result.symbols };
    return {
      ...base,
      isDefinition: true,
      pipelines: result.pipelines,
      outline: result.symbols,
      notice: UNTRUSTED_NOTICE,
      signature: `untrusted|${outline.raw}`,
    };
  }

  const evaluation = await evaluator.evaluate(file, text, settings, signal);
  if (evaluation.kind === 'cancelled') return undefined;
  if (evaluation.kind === 'failed' || evaluation.kind === 'definitionError') {
    const error: DefinitionError =
      evaluation.kind === 'definitionError' ? evaluation.error : { file, line: 1, column: 1, message: evaluation.message, kind: 'internal' };
    const kept = good.entries;
    const what = evaluation.kind === 'failed' ? evaluation.message : `The definition fails: ${error.message}`;
    const notice = kept?.length ? `${what} (showing the last pipelines that evaluated)` : what;
    return {
      ...base,
      isDefinition: true,
      pipelines: kept ?? [],
      problems: [{ error, fallbackLine: 1 }],
      notice,
      signature: `trusted|${notice}|${JSON.stringify(error)}|${kept ? keptSignature(kept) : ''}`,
    };
  }
  const pipelines: PipelineEntry[] = [];
  const problems: Problem[] = [];
  let stale = 0;
  for (const entry of evaluation.entries) {
    const shown: PipelineEntry = { name: entry.name, line: entry.line, default: entry.default };
    if (entry.parameters) shown.parameters = entry.parameters;
    if (entry.document) {
      shown.document = entry.document;
      good.documents.set(entry.name, entry.document);
    } else if (entry.error) {
      shown.error = entry.error;
      if (!entry.needs) {
        problems.push({ error: entry.error, fallbackLine: entry.line });
        const previous = good.documents.get(entry.name);
        if (previous) {
          shown.document = previous; // the last good tree, while the text does not evaluate
          stale++;
        }
      }
    }
    pipelines.push(shown);
  }
  good.entries = pipelines;
  const failing = problems.length;
  const notice = failing
    ? `${failing === 1 ? 'A pipeline fails' : `${failing} pipelines fail`} to evaluate${stale ? ' (showing the last tree that evaluated)' : ''}: see Problems`
    : undefined;
  return {
    ...base,
    isDefinition: true,
    pipelines,
    problems,
    notice,
    signature: `trusted|${notice ?? ''}|${evaluation.raw}|${stale ? keptSignature(pipelines) : ''}`,
  };
}

function keptSignature(entries: PipelineEntry[]): string {
  // Documents are kept objects: their identity stands for their content.
  return entries.map((e) => `${e.name}:${e.line}:${e.document ? documentId(e.document) : '-'}`).join(',');
}

const ids = new WeakMap<object, number>();
let nextId = 0;
function documentId(doc: object): number {
  let id = ids.get(doc);
  if (id === undefined) ids.set(doc, (id = ++nextId));
  return id;
}

interface Tracked {
  timer?: NodeJS.Timeout;
  controller?: AbortController;
  /** Version last scheduled (open and the first change event carry the same one). */
  scheduled: number;
  snapshot?: Snapshot;
  good: GoodState;
  waiters: Set<() => void>;
}

export type SettledListener = (snapshot: Snapshot, previous: Snapshot | undefined) => void;

export class DocumentStore {
  private readonly tracked = new Map<string, Tracked>();

  constructor(
    private readonly documents: TextDocuments<TextDocument>,
    private readonly settings: () => EffectiveSettings,
    private readonly evaluator: Evaluator,
    private readonly onSettled: SettledListener,
  ) {}

  /** A document was opened: evaluate at once. */
  opened(uri: string): void {
    this.schedule(uri, 0);
  }

  /** The text changed: evaluate when the edits settle (debounceMs). */
  changed(uri: string): void {
    this.schedule(uri, this.settings().debounceMs);
  }

  closed(uri: string): void {
    const t = this.tracked.get(uri);
    if (!t) return;
    this.tracked.delete(uri);
    if (t.timer) clearTimeout(t.timer);
    t.controller?.abort();
    this.wake(t);
  }

  /** Settings that change the answer changed: every open document again, now. */
  reevaluateAll(): void {
    for (const uri of this.tracked.keys()) this.schedule(uri, 0, true);
  }

  snapshot(uri: string): Snapshot | undefined {
    return this.tracked.get(uri)?.snapshot;
  }

  isOpen(uri: string): boolean {
    return this.tracked.has(uri);
  }

  /**
   * The snapshot of the document's current version, waiting (bounded) for an evaluation under
   * way or about to start; the latest one otherwise.
   */
  async current(uri: string, token?: CancellationToken): Promise<Snapshot | undefined> {
    const found = this.tracked.get(uri);
    if (!found) return undefined;
    const t: Tracked = found;
    const s = this.settings();
    const deadline = Date.now() + s.debounceMs + s.evaluationTimeoutMs + 2000;
    for (;;) {
      const doc = this.documents.get(uri);
      const pending = t.timer !== undefined || t.controller !== undefined;
      const fresh = doc !== undefined && t.snapshot !== undefined && t.snapshot.version >= doc.version && t.snapshot.trusted === s.trusted;
      const left = deadline - Date.now();
      if (fresh || !pending || left <= 0 || token?.isCancellationRequested || this.tracked.get(uri) !== t) return t.snapshot;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        const sub = token?.onCancellationRequested(done);
        function done() {
          clearTimeout(timer);
          sub?.dispose();
          t.waiters.delete(done);
          resolve();
        }
        t.waiters.add(done);
      });
    }
  }

  dispose(): void {
    for (const uri of [...this.tracked.keys()]) this.closed(uri);
  }

  private schedule(uri: string, delay: number, force = false): void {
    const doc = this.documents.get(uri);
    if (!doc) return;
    let t = this.tracked.get(uri);
    if (!t) {
      t = { scheduled: -1, good: newGoodState(), waiters: new Set() };
      this.tracked.set(uri, t);
    }
    if (!force && t.scheduled === doc.version && (t.timer || t.controller || t.snapshot?.version === doc.version)) return;
    t.scheduled = doc.version;
    if (t.timer) clearTimeout(t.timer);
    t.timer = undefined;
    // The text the running evaluation reads is stale: stop it now, not when the next one starts.
    t.controller?.abort();
    t.controller = undefined;
    const tracked = t;
    if (delay <= 0) void this.run(uri, tracked);
    else tracked.timer = setTimeout(() => void this.run(uri, tracked), delay);
  }

  private async run(uri: string, t: Tracked): Promise<void> {
    t.timer = undefined;
    const doc = this.documents.get(uri);
    if (!doc || this.tracked.get(uri) !== t) return;
    t.controller?.abort();
    const controller = new AbortController();
    t.controller = controller;
    const settings = this.settings();
    let snapshot: Snapshot | undefined;
    try {
      snapshot = await computeSnapshot(this.evaluator, settings, { uri, version: doc.version, languageId: doc.languageId, text: doc.getText() }, t.good, controller.signal);
    } catch (err) {
      const file = filePathOf(uri) ?? uri;
      const message = `Pipewright could not evaluate this file: ${(err as Error).message}`;
      snapshot = {
        uri,
        version: doc.version,
        trusted: settings.trusted,
        isDefinition: true,
        file,
        source: new SourceLines(doc.getText()),
        pipelines: t.good.entries ?? [],
        problems: [{ error: { file, line: 1, column: 1, message, kind: 'internal' }, fallbackLine: 1 }],
        notice: message,
        signature: `error|${message}`,
      };
    }
    if (t.controller !== controller || controller.signal.aborted || this.tracked.get(uri) !== t || !snapshot) return;
    t.controller = undefined;
    const previous = t.snapshot;
    t.snapshot = snapshot;
    this.wake(t);
    this.onSettled(snapshot, previous);
  }

  private wake(t: Tracked): void {
    for (const done of [...t.waiters]) done();
  }
}

/** One evaluation of a file that is not open (read from disk; version 0). */
export async function snapshotOfFile(
  evaluator: Evaluator,
  settings: EffectiveSettings,
  uri: string,
  token?: CancellationToken,
): Promise<Snapshot | undefined> {
  const file = filePathOf(uri);
  if (!file) return undefined;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  const controller = new AbortController();
  const sub = token?.onCancellationRequested(() => controller.abort());
  try {
    return await computeSnapshot(evaluator, settings, { uri, version: 0, languageId: 'python', text }, newGoodState(), controller.signal);
  } finally {
    sub?.dispose();
  }
}
