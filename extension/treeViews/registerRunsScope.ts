import * as vscode from 'vscode';
import type { RunsScope } from './pipelinesTree';
import { RUNS_SCOPE_COMMANDS, RUNS_SCOPE_CONTEXT, RUNS_SCOPE_STATE } from './runsScope';

/**
 * The Runs list's scope: this workspace's runs (the default) or every run of the store, kept per
 * workspace; the context keys let the view's menus and welcome text follow it.
 */
export function createRunsScope(context: vscode.ExtensionContext): RunsScope {
  const setContext = (key: string, value: unknown) => void vscode.commands.executeCommand('setContext', key, value);
  setContext(RUNS_SCOPE_CONTEXT.all, context.workspaceState.get<boolean>(RUNS_SCOPE_STATE, false));
  return {
    folders: () => (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath),
    all: () => context.workspaceState.get<boolean>(RUNS_SCOPE_STATE, false),
    hiddenChanged: (hidden) => setContext(RUNS_SCOPE_CONTEXT.hidden, hidden > 0),
  };
}

/** "Show Runs of All Workspaces" / "Show Runs of This Workspace". */
export function registerRunsScopeCommands(context: vscode.ExtensionContext, scopeChanged: () => void): void {
  const set = async (all: boolean) => {
    await context.workspaceState.update(RUNS_SCOPE_STATE, all);
    await vscode.commands.executeCommand('setContext', RUNS_SCOPE_CONTEXT.all, all);
    scopeChanged();
  };
  context.subscriptions.push(
    vscode.commands.registerCommand(RUNS_SCOPE_COMMANDS.showAll, () => set(true)),
    vscode.commands.registerCommand(RUNS_SCOPE_COMMANDS.showWorkspace, () => set(false)),
    // Folders added or removed: another set of runs is this workspace's.
    vscode.workspace.onDidChangeWorkspaceFolders(() => scopeChanged()),
  );
}
