import * as path from 'node:path';
import * as vscode from 'vscode';
import { PipewrightLanguageClient } from './client/languageClient';
import { registerNodeCommands, registerPipelineCommands } from './commands/nodeCommands';
import { registerRunCommands } from './commands/runCommands';
import { FailedNodeDiagnostics } from './problems/failedNodeDiagnostics';
import { PIPELINES_VIEW } from '../protocol/lsp';
import { RunManager } from './runManager';
import { RunEndWatcher, RunNotifier } from './statusBar/runNotifier';
import { ImageProgress, RunStatusBar } from './statusBar/runStatusBar';
import { DefinitionIndex } from './treeViews/definitionIndex';
import { PipelinesTreeProvider } from './treeViews/pipelinesTree';
import { createRunsScope, registerRunsScopeCommands } from './treeViews/registerRunsScope';
import { MoreNodesItem, SHOW_MORE_NODES_COMMAND } from './treeViews/items';
import { registerPipelinePanel } from './panel/registerPipelinePanel';
import { LogDocumentProvider } from './panel/logDocuments';

let runs: RunManager | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('Pipewright');
  // The runner service is the CLI shipped beside this bundle, run by this host's Node (Electron's
  // binary acts as Node with ELECTRON_RUN_AS_NODE).
  const cli = path.join(context.extensionPath, 'dist', 'cli.js');
  runs = new RunManager((storeRoot) => ({ command: process.execPath, args: [cli, 'service', '--store', storeRoot], env: { ELECTRON_RUN_AS_NODE: '1' } }));
  // A reload finds the runs the service kept going.
  void runs.reattach();
  const definitions = new DefinitionIndex();
  // The client tells the tree of changed definitions; the tree asks the client for them.
  const client: PipewrightLanguageClient = new PipewrightLanguageClient(context, (uri) => tree.definitionChanged(uri));
  const tree = new PipelinesTreeProvider(runs, definitions, (uri) => client.tree(uri), createRunsScope(context));
  const runEnds = new RunEndWatcher(runs);
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
    runEnds,
    new RunNotifier(runEnds),
    new LogDocumentProvider(runs),
    new RunStatusBar(runs, runEnds),
    new ImageProgress(runs),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('pipewright')) runs?.resetEngine();
    }),
  );
  registerRunCommands(context, { runs, tree, treeView: treeView as vscode.TreeView<unknown>, output, treeSource: (uri) => client.tree(uri) });
  registerRunsScopeCommands(context, () => tree.scopeChanged());
  context.subscriptions.push(vscode.commands.registerCommand(SHOW_MORE_NODES_COMMAND, (more: unknown) => more instanceof MoreNodesItem && tree.showMore(more)));
  registerNodeCommands(context, runs);
  registerPipelineCommands(context, runs);
  registerPipelinePanel(context, runs, treeView as vscode.TreeView<unknown>, tree);
}

/** Closing the window stops following its runs; they go on in the runner service. */
export async function deactivate(): Promise<void> {
  await runs?.dispose();
  runs = undefined;
}
