import * as vscode from 'vscode';
import { renderTree } from './pipeline/renderTree';
import { DefinitionFailure, evaluateDefinition } from './sdk/evaluateDefinition';

// Activation only wires commands; the language client, tree view and runner land in later issues.
export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('Pipewright');
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand('pipewright.showTree', async (uri?: vscode.Uri) => {
      const file = uri?.fsPath ?? vscode.window.activeTextEditor?.document.uri.fsPath;
      if (!file) return void vscode.window.showWarningMessage('Pipewright: open a pipeline definition first.');
      if (!vscode.workspace.isTrusted) return void vscode.window.showWarningMessage('Pipewright runs no pipeline code in an untrusted workspace.');
      try {
        const doc = await evaluateDefinition(file, { python: vscode.workspace.getConfiguration('pipewright').get('pythonPath') });
        output.appendLine(renderTree(doc.nodes));
        output.show(true);
      } catch (err) {
        const message = err instanceof DefinitionFailure ? err.message : `Pipewright: ${(err as Error).message}`;
        void vscode.window.showErrorMessage(message);
      }
    }),
  );
}

export function deactivate(): void {}
