import * as vscode from 'vscode';
import { COMMANDS } from '../../protocol/lsp';
import type { ExecutionRecord, NodeState, RunnerEvent } from '../../protocol/runner';
import { nodeProblem } from '../../presentation/problems';
import type { RunNode } from '../../runner/model/runTree';
import type { RunHandle } from '../../runner/runHandle';
import type { RunManager } from '../runManager';

export const DIAGNOSTIC_SOURCE = 'pipewright';

interface Failure {
  run: RunHandle;
  path: string;
  diagnostic: vscode.Diagnostic;
  file: string;
}

/**
 * Every failed node of a live run is a Diagnostic at the line that defined it, with its exit code
 * or reason and the last line it wrote to stderr (a killed node: information, not an error). It goes
 * away when the node is reset, skipped or succeeds, and comes back when a skipped one is unskipped.
 */
export class FailedNodeDiagnostics implements vscode.Disposable, vscode.CodeActionProvider {
  private readonly collection = vscode.languages.createDiagnosticCollection('pipewright-runs');
  private readonly failures = new Map<string, Failure>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(runs: RunManager) {
    this.disposables.push(
      this.collection,
      runs.onEvent(({ run, event }) => this.onEvent(run, event)),
      vscode.languages.registerCodeActionsProvider({ scheme: 'file', language: 'python' }, this, { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] }),
    );
  }

  private onEvent(run: RunHandle, event: RunnerEvent): void {
    if (event.type === 'execution-end') {
      if (event.state === 'error' || event.state === 'killed') this.add(run, event.path, event.state, event.execution);
      else this.remove(run, event.path);
    } else if (event.type === 'skip' && !event.skipped) {
      this.unskipped(run, event.path);
    } else if (event.type === 'reset' || event.type === 'skip') {
      const prefix = event.path === '/' ? '/' : `${event.path}/`;
      for (const f of [...this.failures.values()]) if (f.run === run && (f.path === event.path || f.path.startsWith(prefix))) this.remove(run, f.path);
    } else if (event.type === 'execution-start') {
      this.remove(run, event.path);
    }
  }

  /**
   * A node was unskipped: the failed leaves under it that nothing else skips show again. (The event
   * comes before the tree clears the node's flag, so the node itself is not asked.)
   */
  private unskipped(run: RunHandle, nodePath: string): void {
    const node = run.tree.byPath.get(nodePath);
    if (!node) return;
    for (const leaf of run.tree.leaves(node)) {
      const last = leaf.executions[leaf.executions.length - 1];
      if (!last || (leaf.state !== 'error' && leaf.state !== 'killed')) continue;
      let hidden = false;
      for (let n: RunNode | null = leaf; n; n = n.parent) if (n !== node && n.skipped) hidden = true;
      if (!hidden) this.add(run, leaf.path, leaf.state, last);
    }
  }

  private add(run: RunHandle, nodePath: string, state: NodeState, execution: ExecutionRecord): void {
    const node = run.tree.byPath.get(nodePath);
    if (!node) return;
    const { file, line } = node.spec.source;
    const stderr = run.space.log(execution.id, 'stderr').lastLine().slice(0, 300);
    const problem = nodeProblem(nodePath, state, execution, stderr);
    if (!problem) return;
    const range = new vscode.Range(Math.max(0, line - 1), 0, Math.max(0, line - 1), Number.MAX_SAFE_INTEGER);
    const severity = problem.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Information;
    const diagnostic = new vscode.Diagnostic(range, problem.message, severity);
    diagnostic.source = DIAGNOSTIC_SOURCE;
    diagnostic.code = `${run.id}:${nodePath}`;
    this.failures.set(`${run.id}:${nodePath}`, { run, path: nodePath, diagnostic, file });
    this.publish(file);
  }

  private remove(run: RunHandle, nodePath: string): void {
    const failure = this.failures.get(`${run.id}:${nodePath}`);
    if (!failure) return;
    this.failures.delete(`${run.id}:${nodePath}`);
    this.publish(failure.file);
  }

  private publish(file: string): void {
    const list = [...this.failures.values()].filter((f) => f.file === file).map((f) => f.diagnostic);
    this.collection.set(vscode.Uri.file(file), list);
  }

  /** "Show logs" on each failed node's diagnostic. */
  provideCodeActions(_doc: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    for (const diagnostic of context.diagnostics) {
      if (diagnostic.source !== DIAGNOSTIC_SOURCE || typeof diagnostic.code !== 'string') continue;
      const failure = this.failures.get(diagnostic.code);
      if (!failure) continue;
      const action = new vscode.CodeAction(`Show logs of ${failure.path}`, vscode.CodeActionKind.QuickFix);
      action.diagnostics = [diagnostic];
      action.command = { title: 'Show logs', command: COMMANDS.nodeLogs, arguments: [failure.run.id, failure.path] };
      actions.push(action);
    }
    return actions;
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}
