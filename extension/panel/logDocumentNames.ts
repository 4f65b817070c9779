// How a log editor is addressed: the tab shows the last segment of the URI's path, so the path ends
// with the node's name and the execution ("test · e3"); the folders before it are the run and the
// node's ancestors (the breadcrumbs and, when two tabs share a name, the tab's description). Pure.
import type { LogStream } from '../../protocol/webviewMessages';

export const LOG_SCHEME = 'pipewright-log';

/** "/ka-ma/build/test · e3", "/ka-ma/build/test · e3 (stderr)". */
export function logDocumentPath(runId: string, nodePath: string, execution: string, stream: LogStream): string {
  const node = nodePath === '/' ? '/(root)' : nodePath;
  return `/${runId}${node} · ${execution}${stream === 'stderr' ? ' (stderr)' : ''}`;
}

export function logDocumentQuery(runId: string, execution: string, stream: LogStream): string {
  return new URLSearchParams({ run: runId, execution, stream }).toString();
}

export function parseLogDocumentQuery(query: string): { runId: string; execution: string; stream: LogStream } | undefined {
  const q = new URLSearchParams(query);
  const runId = q.get('run');
  const execution = q.get('execution');
  const stream = q.get('stream') === 'stderr' ? 'stderr' : 'combined';
  if (!runId || !execution || !/^[\w.-]+$/.test(execution)) return undefined;
  return { runId, execution, stream };
}
