import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS, PIPELINES_VIEW } from '../../protocol/lsp';
import { renderTree } from '../../presentation/tree';
import { DockerUnavailableError } from '../../runner/docker/errors';
import type { RunManager } from '../runManager';
import { DefinitionFailure, evaluateDefinition } from '../../evaluator/evaluateDefinition';
import { evaluationLimits, pythonInterpreter } from '../settings';
import type { PipelinesTreeProvider } from '../treeViews/pipelinesTree';
import { revealDepth } from '../treeViews/revealDepth';

export interface CommandDeps {
  runs: RunManager;
  tree: PipelinesTreeProvider;
  treeView: vscode.TreeView<unknown>;
  output: vscode.OutputChannel;
}

function fileOf(uri: string | vscode.Uri | undefined): string | undefined {
  if (uri instanceof vscode.Uri) return uri.fsPath;
  if (typeof uri === 'string') return uri.startsWith('file:') ? vscode.Uri.parse(uri).fsPath : uri;
  return vscode.window.activeTextEditor?.document.uri.fsPath;
}

/**
 * The definition a command evaluates, saved so it runs what the user sees; undefined (the user is
 * told why) when there is none or the workspace is untrusted.
 */
async function definitionToEvaluate(uri: string | vscode.Uri | undefined): Promise<string | undefined> {
  const file = fileOf(uri);
  if (!file) return void vscode.window.showWarningMessage('Pipewright: open a pipeline definition first.');
  if (!vscode.workspace.isTrusted) return void vscode.window.showWarningMessage('Pipewright runs no pipeline code in an untrusted workspace.');
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === file);
  if (doc?.isDirty) await doc.save();
  return file;
}

/** A user-facing message for what went wrong starting a run, with a way to act on it. */
export async function reportFailure(err: unknown): Promise<void> {
  if (err instanceof DefinitionFailure) {
    const choice = await vscode.window.showErrorMessage(`Pipewright: ${err.message}`, 'Go to Error');
    if (choice) await vscode.window.showTextDocument(vscode.Uri.file(err.error.file), { selection: new vscode.Range(err.error.line - 1, 0, err.error.line - 1, 0) });
    return;
  }
  if (err instanceof DockerUnavailableError) {
    void vscode.window.showErrorMessage(`Pipewright: ${err.message}`);
    return;
  }
  void vscode.window.showErrorMessage(`Pipewright: ${(err as Error).message ?? String(err)}`);
}

export function registerRunCommands(context: vscode.ExtensionContext, deps: CommandDeps): void {
  const { runs, tree, treeView, output } = deps;
  context.subscriptions.push(
    vscode.commands.registerCommand(COMMANDS.runPipeline, async (uri?: string | vscode.Uri, func?: string) => {
      const file = await definitionToEvaluate(uri);
      if (!file) return;
      try {
        const run = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Pipewright: starting ${func ?? path.basename(file)}` }, () => runs.start(file, func));
        await vscode.commands.executeCommand(`${PIPELINES_VIEW}.focus`);
        const item = await tree.pipelineItemFor(file, func ?? run.meta.name);
        if (item) await treeView.reveal(item, { expand: revealDepth(run.tree.root), focus: false, select: false });
      } catch (err) {
        await reportFailure(err);
      }
    }),
    vscode.commands.registerCommand(COMMANDS.showTree, async (uri?: string | vscode.Uri, func?: string) => {
      const file = await definitionToEvaluate(uri);
      if (!file) return;
      try {
        const doc = await evaluateDefinition(file, { func, python: await pythonInterpreter(vscode.Uri.file(file)), limits: evaluationLimits() });
        output.appendLine(`${path.basename(file)} ${doc.name}:`);
        output.appendLine(renderTree(doc.nodes));
        output.show(true);
      } catch (err) {
        await reportFailure(err);
      }
    }),
    vscode.commands.registerCommand(COMMANDS.refresh, () => tree.refresh()),
  );
}
