import * as vscode from 'vscode';
import { DidChangeConfigurationNotification, LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { TREE_CHANGED_NOTIFICATION, TREE_REQUEST, type ServerSettings, type TreeChangedParams, type TreeParams, type TreeResult } from '../../protocol/lsp';
import { pipewrightConfig, pythonInterpreter } from '../settings';

/** What the server needs to know; trust is not a setting, so it is sent explicitly. */
async function serverSettings(): Promise<ServerSettings> {
  const c = pipewrightConfig();
  const trusted = vscode.workspace.isTrusted;
  return {
    trusted,
    // Even the syntax-only outline starts the interpreter: in an untrusted workspace never one the
    // workspace could have chosen (a .venv inside it), only the user's own setting or python3.
    pythonPath: trusted ? await pythonInterpreter() : c.inspect<string>('pythonPath')?.globalValue || 'python3',
    evaluationTimeoutMs: c.get<number>('evaluation.timeoutMs'),
    evaluationMemoryMb: c.get<number>('evaluation.memoryMb'),
  };
}

/** The client of Pipewright's language server (dist/server.js, over IPC). */
export class PipewrightLanguageClient implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private readonly started: Promise<LanguageClient>;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(context: vscode.ExtensionContext, onTreeChanged: (uri: vscode.Uri) => void) {
    const module = context.asAbsolutePath('dist/server.js');
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc },
      debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
    };
    // The client copies its options when constructed: settings (trust) must be known first.
    this.started = serverSettings().then(async (initializationOptions) => {
      const clientOptions: LanguageClientOptions = {
        documentSelector: [{ scheme: 'file', language: 'python' }],
        diagnosticCollectionName: 'pipewright',
        initializationOptions,
      };
      const client = new LanguageClient('pipewright', 'Pipewright Language Server', serverOptions, clientOptions);
      this.client = client;
      await client.start();
      client.onNotification(TREE_CHANGED_NOTIFICATION, (params: TreeChangedParams) => onTreeChanged(vscode.Uri.parse(params.uri)));
      return client;
    });
    const push = () => void this.pushSettings();
    this.disposables.push(
      vscode.workspace.onDidGrantWorkspaceTrust(push),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('pipewright')) push();
      }),
    );
  }

  private async pushSettings(): Promise<void> {
    const client = await this.started;
    await client.sendNotification(DidChangeConfigurationNotification.type, { settings: { pipewright: await serverSettings() } });
  }

  /** The pipelines a definition defines; the document is opened (not shown) so the server has it. */
  async tree(uri: vscode.Uri): Promise<TreeResult | undefined> {
    const client = await this.started;
    await vscode.workspace.openTextDocument(uri);
    const params: TreeParams = { textDocument: { uri: uri.toString() } };
    return client.sendRequest<TreeResult>(TREE_REQUEST, params);
  }

  async dispose(): Promise<void> {
    this.disposables.forEach((d) => d.dispose());
    await this.client?.stop().catch(() => undefined);
  }
}
