import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Connection, type Diagnostic, DiagnosticSeverity, Range } from 'vscode-languageserver/node';
import { samePath } from './definitionDetector';
import type { Snapshot } from './documentModel';

export const DIAGNOSTIC_SOURCE = 'pipewright';

/** Definition errors (syntax, SDK validation, the user's exceptions) at their line and column. */
export class DiagnosticsProvider {
  constructor(private readonly connection: Connection) {}

  diagnosticsOf(snapshot: Snapshot): Diagnostic[] {
    if (!snapshot.isDefinition) return [];
    const out: Diagnostic[] = [];
    const seen = new Set<string>();
    if (!snapshot.trusted) {
      out.push({
        range: snapshot.source.trimmedLine(0),
        severity: DiagnosticSeverity.Information,
        source: DIAGNOSTIC_SOURCE,
        code: 'untrusted',
        message: 'Pipewright: pipeline code is not run in an untrusted workspace, so this file is outlined from its syntax only. Trust the workspace to evaluate its pipelines.',
      });
    }
    // An error may carry others found by the same check (`also`): each is a diagnostic at its line.
    const errors = snapshot.problems.flatMap(({ error, fallbackLine }) => [error, ...(error.also ?? [])].map((e) => ({ error: e, fallbackLine })));
    for (const { error, fallbackLine } of errors) {
      const here = !error.file || !snapshot.file || samePath(error.file, snapshot.file);
      const range = here ? snapshot.source.errorRange(error.line, error.column) : snapshot.source.trimmedLine(fallbackLine - 1);
      const message = here ? error.message : `${path.basename(error.file)}:${error.line}: ${error.message}`;
      const key = `${range.start.line}:${range.start.character}:${message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const diagnostic: Diagnostic = { range, severity: DiagnosticSeverity.Error, source: DIAGNOSTIC_SOURCE, code: error.kind, message };
      if (!here) {
        const line0 = Math.max(0, error.line - 1);
        diagnostic.relatedInformation = [
          { location: { uri: pathToFileURL(error.file).href, range: Range.create(line0, Math.max(0, error.column - 1), line0, Math.max(0, error.column - 1)) }, message: error.message },
        ];
      }
      out.push(diagnostic);
    }
    return out;
  }

  publish(snapshot: Snapshot, previous: Snapshot | undefined): void {
    const diagnostics = this.diagnosticsOf(snapshot);
    // A file that is not a definition (and never was) gets nothing, not even an empty list.
    if (!diagnostics.length && !previous?.isDefinition && !snapshot.isDefinition) return;
    void this.connection.sendDiagnostics({ uri: snapshot.uri, version: snapshot.version, diagnostics });
  }

  clear(uri: string): void {
    void this.connection.sendDiagnostics({ uri, diagnostics: [] });
  }
}
