// Harness fixture: a tree "Items" (in the activity-bar container "Fixture") with a group "group"
// holding leaves "alpha" and "beta" (descriptions "<state> #<runs>"), context-menu entries
// "Run / Reset" and "Skip" (also an inline action), a CodeLens "▶ Run fixture" above each line
// starting `def run` in *.fixture.py files, and an Error diagnostic "/broken failed: exit 3" on
// the line containing `broken` when that lens is clicked; "Run / Reset" on beta clears it.
const vscode = require('vscode');

exports.activate = (context) => {
  const changed = new vscode.EventEmitter();
  const state = { alpha: { state: 'pending', skipped: false, runs: 0 }, beta: { state: 'pending', skipped: false, runs: 0 } };
  const diagnostics = vscode.languages.createDiagnosticCollection('fixture');
  let lastDoc;

  const provider = {
    onDidChangeTreeData: changed.event,
    getChildren: (el) => (el === undefined ? ['group'] : el === 'group' ? ['alpha', 'beta'] : []),
    getTreeItem: (id) => {
      if (id === 'group') {
        const item = new vscode.TreeItem('group', vscode.TreeItemCollapsibleState.Collapsed);
        item.id = 'group';
        item.contextValue = 'group';
        return item;
      }
      const s = state[id];
      const item = new vscode.TreeItem(id, vscode.TreeItemCollapsibleState.None);
      item.id = `leaf:${id}`;
      item.description = s.skipped ? 'skipped' : `${s.state} #${s.runs}`;
      item.contextValue = `leaf;skipped=${s.skipped}`;
      return item;
    },
  };
  context.subscriptions.push(
    changed,
    diagnostics,
    vscode.window.createTreeView('fixture.items', { treeDataProvider: provider }),
    vscode.commands.registerCommand('fixture.run', (id) => {
      const s = state[id];
      s.skipped = false;
      s.runs += 1;
      s.state = 'done';
      if (id === 'beta') diagnostics.clear();
      changed.fire();
    }),
    vscode.commands.registerCommand('fixture.skip', (id) => {
      state[id].skipped = true;
      changed.fire();
    }),
    vscode.commands.registerCommand('fixture.hello', () => vscode.window.showInformationMessage('Hello from the fixture')),
    vscode.commands.registerCommand('fixture.lens', (uri) => {
      const run = (id, ok) => {
        state[id].skipped = false;
        state[id].runs += 1;
        state[id].state = ok ? 'done' : 'error';
      };
      run('alpha', true);
      run('beta', false);
      changed.fire();
      vscode.workspace.openTextDocument(uri).then((doc) => {
        lastDoc = doc;
        const line = doc.getText().split('\n').findIndex((l) => l.includes('broken'));
        const d = new vscode.Diagnostic(new vscode.Range(line, 0, line, 100), '/broken failed: exit code 3', vscode.DiagnosticSeverity.Error);
        d.source = 'fixture';
        diagnostics.set(uri, [d]);
      });
    }),
    vscode.languages.registerCodeLensProvider({ pattern: '**/*.fixture.py' }, {
      provideCodeLenses: (doc) => {
        const lenses = [];
        doc.getText().split('\n').forEach((text, i) => {
          if (text.startsWith('def run')) lenses.push(new vscode.CodeLens(new vscode.Range(i, 0, i, 0), { title: '▶ Run fixture', command: 'fixture.lens', arguments: [doc.uri] }));
        });
        return lenses;
      },
    }),
  );
  void lastDoc;
};

exports.deactivate = () => {};
