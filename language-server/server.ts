import {
  type CodeLensParams,
  createConnection,
  type DocumentSymbolParams,
  type InitializeResult,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { TREE_CHANGED_NOTIFICATION, TREE_REQUEST, type TreeChangedParams, type TreeParams } from '../protocol/lsp';
import { CodeLensProvider } from './src/codeLensProvider';
import { DiagnosticsProvider } from './src/diagnosticsProvider';
import { DocumentStore } from './src/documentModel';
import { DocumentSymbolProvider } from './src/documentSymbolProvider';
import { Evaluator } from '../evaluator/evaluator';
import { defaultSettings, evaluationChanged, mergeSettings } from './src/settings';
import { TreeRequestHandler } from './src/treeRequestHandler';

// Pipewright's language server (docs/language-server.md). The server evaluates and outlines
// pipeline definitions; the client only renders. Transport from argv: --stdio, --node-ipc,
// --socket=N, --pipe=NAME.
const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
let settings = defaultSettings();
const evaluator = new Evaluator(() => settings);
const diagnostics = new DiagnosticsProvider(connection);

const store = new DocumentStore(documents, () => settings, evaluator, (snapshot, previous) => {
  diagnostics.publish(snapshot, previous);
  if (snapshot.signature !== (previous?.signature ?? 'none')) {
    const params: TreeChangedParams = { uri: snapshot.uri, version: snapshot.version };
    void connection.sendNotification(TREE_CHANGED_NOTIFICATION, params);
  }
});
const codeLenses = new CodeLensProvider(store);
const symbols = new DocumentSymbolProvider(store);
const tree = new TreeRequestHandler(store, evaluator, () => settings);

connection.onInitialize((params): InitializeResult => {
  settings = mergeSettings(settings, params.initializationOptions);
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      codeLensProvider: { resolveProvider: false },
      documentSymbolProvider: { label: 'Pipewright' },
    },
    serverInfo: { name: 'pipewright-language-server', version: '0.1.0' },
  };
});

connection.onInitialized(() => evaluator.prepare());

connection.onDidChangeConfiguration((change) => {
  const incoming = (change.settings as { pipewright?: unknown } | null | undefined)?.pipewright;
  const before = settings;
  settings = mergeSettings(before, incoming);
  if (before.pythonPath !== settings.pythonPath || before.trusted !== settings.trusted) evaluator.prepare();
  if (evaluationChanged(before, settings)) store.reevaluateAll();
});

documents.onDidOpen((e) => store.opened(e.document.uri));
documents.onDidChangeContent((e) => store.changed(e.document.uri));
documents.onDidClose((e) => {
  store.closed(e.document.uri);
  diagnostics.clear(e.document.uri);
});

connection.onCodeLens((params: CodeLensParams, token) => codeLenses.provide(params, token));
connection.onDocumentSymbol((params: DocumentSymbolParams, token) => symbols.provide(params, token));
connection.onRequest(TREE_REQUEST, (params: TreeParams, token) => tree.handle(params, token));

connection.onShutdown(() => {
  store.dispose();
  evaluator.dispose();
});
connection.onExit(() => evaluator.dispose());

documents.listen(connection);
connection.listen();
