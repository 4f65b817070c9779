import { createConnection, ProposedFeatures, TextDocuments, TextDocumentSyncKind } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';

// The server's features (tree, CodeLens, symbols, diagnostics) land in the editor issue; this is
// the process and document sync they build on.
const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);

connection.onInitialize(() => ({
  capabilities: { textDocumentSync: TextDocumentSyncKind.Incremental },
  serverInfo: { name: 'pipewright-language-server' },
}));

documents.listen(connection);
connection.listen();
