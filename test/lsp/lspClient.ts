// A real LSP client for the tests and the bench: `node dist/server.js --stdio` (or --node-ipc)
// driven through vscode-languageserver-protocol's connection.
import { type ChildProcess, fork, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CodeLensRequest,
  createProtocolConnection,
  DidChangeConfigurationNotification,
  DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  DocumentSymbolRequest,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  IPCMessageReader,
  IPCMessageWriter,
  type CodeLens,
  type DocumentSymbol,
  type InitializeResult,
  type ProtocolConnection,
  PublishDiagnosticsNotification,
  type PublishDiagnosticsParams,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-languageserver-protocol/node';
import { type ServerSettings, TREE_CHANGED_NOTIFICATION, TREE_REQUEST, type TreeChangedParams, type TreeResult } from '../../protocol/lsp';

export const repo = path.resolve(__dirname, '..', '..');
export const serverJs = path.join(repo, 'dist', 'server.js');
export const examples = path.join(repo, 'examples');

function newestUnder(dir: string, test: (name: string) => boolean): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === '__pycache__' || entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestUnder(full, test));
    else if (test(entry.name)) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

/** dist/server.js (and dist/sdk), rebuilt when missing or older than the server's sources. */
export function ensureServerBuilt(): void {
  const built = existsSync(serverJs) ? statSync(serverJs).mtimeMs : 0;
  const sources = Math.max(
    newestUnder(path.join(repo, 'language-server'), (n) => n.endsWith('.ts') || n.endsWith('.py')),
    ...['sdk', 'protocol', 'evaluator'].map((room) => newestUnder(path.join(repo, room), (n) => n.endsWith('.ts') || n.endsWith('.py'))),
  );
  if (built >= sources && existsSync(path.join(repo, 'dist', 'sdk', 'pipewright', 'outline.py'))) return;
  const result = spawnSync(process.execPath, [path.join(repo, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error('build failed');
}

let sdkCopy: string | undefined;

/**
 * A private copy of dist/sdk for this test process (PIPEWRIGHT_SDK): others building the same
 * checkout swap dist/sdk, and an evaluation started in that moment would find no SDK.
 */
export function testSdk(): string {
  if (!sdkCopy) {
    ensureServerBuilt();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewright-lsp-sdk-'));
    cpSync(path.join(repo, 'dist', 'sdk'), path.join(dir, 'sdk'), { recursive: true });
    sdkCopy = path.join(dir, 'sdk');
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return sdkCopy;
}

export function uriOf(file: string): string {
  return pathToFileURL(file).href;
}

export interface StartOptions {
  settings?: Partial<ServerSettings>;
  transport?: 'stdio' | 'ipc';
  env?: NodeJS.ProcessEnv;
}

export class LspClient {
  readonly diagnostics = new Map<string, PublishDiagnosticsParams[]>();
  readonly treeChanged: TreeChangedParams[] = [];
  private readonly versions = new Map<string, number>();
  private listeners: Array<() => void> = [];
  stderr = '';

  private constructor(
    readonly process: ChildProcess,
    readonly connection: ProtocolConnection,
    readonly initializeResult: InitializeResult,
  ) {}

  static async start(options: StartOptions = {}): Promise<LspClient> {
    ensureServerBuilt();
    const env = { ...process.env, PIPEWRIGHT_SDK: testSdk(), ...options.env };
    let child: ChildProcess;
    let connection: ProtocolConnection;
    if (options.transport === 'ipc') {
      child = fork(serverJs, ['--node-ipc'], { env, stdio: ['pipe', 'pipe', 'pipe', 'ipc'] });
      connection = createProtocolConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
    } else {
      child = spawn(process.execPath, [serverJs, '--stdio'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    }
    let stderr = '';
    child.stderr?.on('data', (d) => (stderr += d));
    connection.listen();
    const settings: ServerSettings = { trusted: true, ...options.settings };
    const result = await connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: null,
      capabilities: {},
      initializationOptions: settings,
      workspaceFolders: null,
    });
    const client = new LspClient(child, connection, result);
    child.stderr?.on('data', (d) => (client.stderr += d));
    client.stderr = stderr;
    connection.onNotification(PublishDiagnosticsNotification.type, (p) => {
      const list = client.diagnostics.get(p.uri) ?? [];
      list.push(p);
      client.diagnostics.set(p.uri, list);
      client.notify();
    });
    connection.onNotification(TREE_CHANGED_NOTIFICATION, (p: TreeChangedParams) => {
      client.treeChanged.push(p);
      client.notify();
    });
    await connection.sendNotification(InitializedNotification.type, {});
    return client;
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  /** Resolves with predicate's first truthy value, checked now and after each notification. */
  waitFor<T>(what: string, predicate: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const value = predicate();
        if (value) {
          cleanup();
          resolve(value);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}; server stderr:\n${this.stderr}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
      };
      this.listeners.push(check);
      check();
    });
  }

  /** The first diagnostics published for uri at version or later. */
  waitForDiagnostics(uri: string, version?: number): Promise<PublishDiagnosticsParams> {
    const want = version ?? this.versions.get(uri) ?? 0;
    return this.waitFor(`diagnostics of ${uri} v${want}`, () => (this.diagnostics.get(uri) ?? []).find((p) => (p.version ?? 0) >= want));
  }

  waitForTreeChanged(uri: string, version?: number): Promise<TreeChangedParams> {
    const want = version ?? this.versions.get(uri) ?? 0;
    return this.waitFor(`treeChanged of ${uri} v${want}`, () => this.treeChanged.find((p) => p.uri === uri && p.version >= want));
  }

  async open(file: string, text?: string): Promise<string> {
    const uri = uriOf(file);
    this.versions.set(uri, 1);
    await this.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: 'python', version: 1, text: text ?? readFileSync(file, 'utf8') },
    });
    return uri;
  }

  /** Replace the whole text; returns the new version. */
  async change(uri: string, text: string): Promise<number> {
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    await this.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: [{ text }] });
    return version;
  }

  async close(uri: string): Promise<void> {
    await this.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
  }

  async configure(settings: Partial<ServerSettings>): Promise<void> {
    await this.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: { pipewright: settings } });
  }

  tree(uri: string): Promise<TreeResult> {
    return this.connection.sendRequest(TREE_REQUEST, { textDocument: { uri } });
  }

  async codeLenses(uri: string): Promise<CodeLens[]> {
    return (await this.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } })) ?? [];
  }

  async symbols(uri: string): Promise<DocumentSymbol[]> {
    return ((await this.connection.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri } })) ?? []) as DocumentSymbol[];
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.process.exitCode !== null) resolve();
      else this.process.once('exit', () => resolve());
    });
    try {
      await Promise.race([this.connection.sendRequest(ShutdownRequest.type), new Promise((r) => setTimeout(r, 3000))]);
      await this.connection.sendNotification(ExitNotification.type);
    } catch {
      // already gone
    }
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
    this.connection.dispose();
  }
}

/** Symbols as indented "name@line" lines (1-based lines), for readable assertions. */
export function symbolOutline(symbols: DocumentSymbol[], depth = 0): string[] {
  return symbols.flatMap((s) => [`${'  '.repeat(depth)}${s.name}@${s.selectionRange.start.line + 1}`, ...symbolOutline(s.children ?? [], depth + 1)]);
}

/** `python3 -m pipewright ARGS` with the built SDK, as the CLI's users run it. */
export function sdk(args: string[], cwd = repo): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.env.PIPEWRIGHT_PYTHON || 'python3', ['-m', 'pipewright', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, PYTHONPATH: testSdk(), PYTHONDONTWRITEBYTECODE: '1' },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
