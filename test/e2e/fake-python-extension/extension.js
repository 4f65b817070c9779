// Stands in for ms-python.python: @vscode/python-extension's PythonExtension.api() activates it and
// returns these exports as its API. Of that API, Pipewright uses environments: the active
// environment is a folder (as a venv's is), and resolving it gives its interpreter, a script that
// appends its arguments to <workspace>/.fake-python-used, then runs python3.
const fs = require('fs');
const os = require('os');
const path = require('path');
const vscode = require('vscode');

function environment() {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? os.tmpdir();
  const env = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-python-'));
  const executable = path.join(env, 'bin', 'python');
  const marker = path.join(folder, '.fake-python-used');
  fs.mkdirSync(path.dirname(executable));
  fs.writeFileSync(executable, `#!/bin/sh\necho "$*" >> '${marker}'\nexec python3 "$@"\n`, { mode: 0o755 });
  return { id: env, path: env, executable };
}

function activate() {
  const env = environment();
  return {
    ready: Promise.resolve(),
    environments: {
      getActiveEnvironmentPath: () => ({ id: env.id, path: env.path }),
      // Takes an environment, its path object, or a path string, as the real API does.
      resolveEnvironment: async (e) => {
        const p = typeof e === 'string' ? e : e?.path;
        if (p !== env.path && p !== env.executable) return undefined;
        return { id: env.id, path: env.path, executable: { uri: vscode.Uri.file(env.executable) } };
      },
    },
  };
}

module.exports = { activate, deactivate() {} };
