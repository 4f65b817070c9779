import { type CodeLens, type CodeLensParams, type CancellationToken, Range } from 'vscode-languageserver/node';
import { COMMANDS } from '../../protocol/lsp';
import type { DocumentStore } from './documentModel';

export const RUN_TITLE = '▶ Run pipeline';
export const SHOW_TREE_TITLE = 'Show tree';

/** "▶ Run pipeline" and "Show tree" above each pipeline (function, co.main default, module tree). */
export class CodeLensProvider {
  constructor(private readonly store: DocumentStore) {}

  async provide(params: CodeLensParams, token: CancellationToken): Promise<CodeLens[]> {
    const snapshot = await this.store.current(params.textDocument.uri, token);
    if (!snapshot?.isDefinition) return [];
    const uri = snapshot.uri;
    const lenses: CodeLens[] = [];
    for (const entry of snapshot.pipelines) {
      const line0 = snapshot.source.clamp(entry.line - 1);
      const range = Range.create(line0, 0, line0, 0);
      lenses.push(
        { range, command: { title: RUN_TITLE, command: COMMANDS.runPipeline, arguments: [uri, entry.name] } },
        { range, command: { title: SHOW_TREE_TITLE, command: COMMANDS.showTree, arguments: [uri, entry.name] } },
      );
    }
    return lenses;
  }
}
