import * as vscode from 'vscode';
import { PipewrightLanguageClient } from './client/languageClient';
import { registerNodeCommands, registerPipelineCommands } from './commands/nodeCommands';
import { registerRunCommands } from './commands/runCommands';
import { FailedNodeDiagnostics } from './problems/failedNodeDiagnostics';
import { PIPELINES_VIEW } from '../protocol/lsp';
import { RunManager } from './runManager';
import { ImageProgress, RunStatusBar } from './statusBar/runStatusBar';
import { DefinitionIndex } from './treeViews/definitionIndex';
import { PipelinesTreeProvider } from './treeViews/pipelinesTree';
import { createRunsScope, registerRunsScopeCommands } from './treeViews/registerRunsScope';
import { registerPipelinePanel } from './panel/registerPipelinePanel';
import { LogDocumentProvider } from './panel/logDocuments';

let runs: RunManager | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('Pipewright');
  runs = new RunManager();
  const definitions = new DefinitionIndex();
  // The client tells the tree of changed definitions; the tree asks the client for them.
  const client: PipewrightLanguageClient = new PipewrightLanguageClient(context, (uri) => tree.definitionChanged(uri));
  const tree = new PipelinesTreeProvider(runs, definitions, (uri) => client.tree(uri), createRunsScope(context));
  const treeView = vscode.window.createTreeView(PIPELINES_VIEW, { treeDataProvider: tree, showCollapseAll: true });
  context.subscriptions.push(
    output,
    definitions,
    client,
    tree,
    treeView,
    treeView.onDidExpandElement((e) => tree?.setExpanded(e.element, true)),
    treeView.onDidCollapseElement((e) => tree?.setExpanded(e.element, false)),
    treeView.onDidChangeVisibility((e) => e.visible && tree.checkAfterShown()),
    new FailedNodeDiagnostics(runs),
    new LogDocumentProvider(runs),
    new RunStatusBar(runs),
    new ImageProgress(runs),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('pipewright')) runs?.resetEngine();
    }),
  );
  registerRunCommands(context, { runs, tree, treeView: treeView as vscode.TreeView<unknown>, output });
  registerRunsScopeCommands(context, () => tree.scopeChanged());
  registerNodeCommands(context, runs);
  registerPipelineCommands(context, runs);
  registerPipelinePanel(context, runs, treeView as vscode.TreeView<unknown>, tree);
}

/** Closing the window stops its containers; the pipelines stay in the store. */
export async function deactivate(): Promise<void> {
  await runs?.dispose();
  runs = undefined;
}
