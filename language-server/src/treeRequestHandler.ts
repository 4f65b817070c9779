import type { CancellationToken } from 'vscode-languageserver/node';
import type { PipelineEntry, TreeParams, TreeResult } from '../../protocol/lsp';
import { snapshotOfFile, type DocumentStore, type Snapshot } from './documentModel';
import type { Evaluator } from '../../evaluator/evaluator';
import type { EffectiveSettings } from './settings';

/** `pipewright/tree`: the document's pipelines with their pipeline JSON. */
export class TreeRequestHandler {
  constructor(
    private readonly store: DocumentStore,
    private readonly evaluator: Evaluator,
    private readonly settings: () => EffectiveSettings,
  ) {}

  async handle(params: TreeParams, token: CancellationToken): Promise<TreeResult> {
    const uri = params.textDocument.uri;
    // An open document answers from its evaluations; another file is read from disk (version 0).
    const snapshot = this.store.isOpen(uri) ? await this.store.current(uri, token) : await snapshotOfFile(this.evaluator, this.settings(), uri, token);
    return snapshot ? resultOf(snapshot) : { uri, isDefinition: false, trusted: this.settings().trusted, pipelines: [], version: 0 };
  }
}

export function resultOf(snapshot: Snapshot): TreeResult {
  const result: TreeResult = {
    uri: snapshot.uri,
    isDefinition: snapshot.isDefinition,
    trusted: snapshot.trusted,
    pipelines: snapshot.pipelines.map((entry) => withEndLine(entry, snapshot)),
    version: snapshot.version,
  };
  if (snapshot.notice) result.notice = snapshot.notice;
  return result;
}

/** A function's entry with the last line of its body (from the snapshot's text), for "the pipeline under the cursor". */
function withEndLine(entry: PipelineEntry, snapshot: Snapshot): PipelineEntry {
  if (!snapshot.trusted || !snapshot.source.isFunctionLine(entry.line, entry.name)) return entry;
  return { ...entry, endLine: snapshot.source.functionEnd(entry.line) };
}
