// The part of the Python extension's API Pipewright uses (environments), naming an interpreter of
// its own: a script that appends its arguments to <workspace>/.fake-python-used, then runs python3.
const fs = require('fs');
const os = require('os');
const path = require('path');
const vscode = require('vscode');

function interpreter() {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? os.tmpdir();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-python-'));
  const file = path.join(dir, 'python');
  const marker = path.join(folder, '.fake-python-used');
  fs.writeFileSync(file, `#!/bin/sh\necho "$*" >> '${marker}'\nexec python3 "$@"\n`, { mode: 0o755 });
  return file;
}

function activate() {
  const python = interpreter();
  return {
    environments: {
      getActiveEnvironmentPath: () => ({ id: python, path: python }),
      resolveEnvironment: async (p) => ({ executable: { uri: vscode.Uri.file(p) } }),
    },
  };
}

module.exports = { activate, deactivate() {} };
