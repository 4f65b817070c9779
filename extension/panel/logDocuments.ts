import * as vscode from 'vscode';
import type { LogStream } from '../../protocol/webviewMessages';
import type { LogFile } from '../../runner/store/pipelineSpace';
import type { RunManager } from '../runManager';
import { logDocumentPath, parseLogDocumentQuery, logDocumentQuery, LOG_SCHEME } from './logDocumentNames';

/** Open log documents of running executions refresh at most this often. */
const REFRESH_MS = 500;

/** A read-only editor on an execution's log, its tab named "test · e3" (node and execution). */
export function logDocumentUri(runId: string, nodePath: string, execution: string, stream: LogStream = 'combined'): vscode.Uri {
  return vscode.Uri.from({ scheme: LOG_SCHEME, path: logDocumentPath(runId, nodePath, execution, stream), query: logDocumentQuery(runId, execution, stream) });
}

/**
 * Above this size a log opens as its file: VS Code's own handling of large files (it asks before
 * loading them) rather than the whole text through the extension host.
 */
const LARGEST_DOCUMENT_BYTES = 32 * 1024 * 1024;

/** Opens an execution's whole log in an editor. */
export async function showLogDocument(log: LogFile, runId: string, nodePath: string, execution: string, stream: LogStream, options: vscode.TextDocumentShowOptions = {}): Promise<void> {
  const uri = log.size() > LARGEST_DOCUMENT_BYTES ? vscode.Uri.file(log.path) : logDocumentUri(runId, nodePath, execution, stream);
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { preview: true, ...options });
}

/**
 * Serves `pipewright-log:` documents from the run's log files (the live run's, else the store's),
 * and tells VS Code to read an open one again while its execution writes to it.
 */
export class LogDocumentProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  private readonly due = new Map<string, vscode.Uri>();
  private timer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly runs: RunManager) {
    this.disposables.push(
      vscode.workspace.registerTextDocumentContentProvider(LOG_SCHEME, this),
      runs.onEvent(({ run, event }) => {
        if (event.type !== 'log' && event.type !== 'execution-end') return;
        const execution = event.type === 'log' ? event.execution : event.execution.id;
        for (const doc of vscode.workspace.textDocuments) {
          if (doc.uri.scheme !== LOG_SCHEME) continue;
          const q = parseLogDocumentQuery(doc.uri.query);
          if (q && q.runId === run.id && q.execution === execution) this.due.set(doc.uri.toString(), doc.uri);
        }
        if (this.due.size && !this.timer) this.timer = setTimeout(() => this.flush(), REFRESH_MS);
      }),
    );
  }

  private flush(): void {
    this.timer = undefined;
    const uris = [...this.due.values()];
    this.due.clear();
    for (const uri of uris) this.emitter.fire(uri);
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const q = parseLogDocumentQuery(uri.query);
    if (!q) throw new Error(`Pipewright: ${uri.toString()} names no execution log`);
    const space = this.runs.get(q.runId)?.space ?? this.runs.store().space(q.runId);
    const log = space.log(q.execution, q.stream);
    if (!log.exists()) return `(${q.execution} has written nothing${q.stream === 'stderr' ? ' to stderr' : ''} yet)\n`;
    return (await log.all()).toString('utf8');
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.disposables.forEach((d) => d.dispose());
    this.emitter.dispose();
  }
}
