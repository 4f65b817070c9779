// Which pipeline "Run Pipeline" means when it names none: the function the cursor is in. Plain
// TypeScript (no vscode): unit-tested.
import type { PipelineEntry } from '../../protocol/lsp';

/** The pipeline function whose lines (decorators to the end of its body) hold line1, if any. */
export function pipelineAtLine(entries: readonly PipelineEntry[], line1: number): PipelineEntry | undefined {
  let found: PipelineEntry | undefined;
  for (const entry of entries) {
    if (entry.endLine === undefined) continue; // a module-level tree: no function to be inside
    if (entry.line <= line1 && line1 <= entry.endLine && (!found || entry.line > found.line)) found = entry;
  }
  return found;
}
