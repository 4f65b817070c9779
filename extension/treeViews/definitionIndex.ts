import { readFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import { importsPipelineSdk } from '../../protocol/definitionFiles';

const EXCLUDE = '{**/node_modules/**,**/.venv/**,**/venv/**,**/__pycache__/**,**/.git/**}';

/** The pipeline definitions in the workspace: Python files importing pipewright or conducto. */
export class DefinitionIndex implements vscode.Disposable {
  private files = new Map<string, vscode.Uri>();
  private scanned: Promise<void> | undefined;
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;
  private readonly watcher = vscode.workspace.createFileSystemWatcher('**/*.py');

  constructor() {
    const recheck = (uri: vscode.Uri) => void this.check(uri).then((changed) => changed && this.emitter.fire());
    this.watcher.onDidCreate(recheck);
    this.watcher.onDidChange(recheck);
    this.watcher.onDidDelete((uri) => {
      if (this.files.delete(uri.toString())) this.emitter.fire();
    });
  }

  async definitions(): Promise<vscode.Uri[]> {
    this.scanned ??= this.scan();
    await this.scanned;
    return [...this.files.values()].sort((a, b) => a.fsPath.localeCompare(b.fsPath));
  }

  private async scan(): Promise<void> {
    const uris = await vscode.workspace.findFiles('**/*.py', EXCLUDE, 5000);
    await Promise.all(uris.map((uri) => this.check(uri)));
  }

  /** Re-reads one file; true when its membership changed. */
  private async check(uri: vscode.Uri): Promise<boolean> {
    const key = uri.toString();
    let isDefinition = false;
    try {
      isDefinition = importsPipelineSdk(await readFile(uri.fsPath, 'utf8'));
    } catch {
      // unreadable or gone: not a definition
    }
    const was = this.files.has(key);
    if (isDefinition) this.files.set(key, uri);
    else this.files.delete(key);
    return was !== isDefinition;
  }

  dispose(): void {
    this.watcher.dispose();
    this.emitter.dispose();
  }
}
