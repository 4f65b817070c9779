import * as vscode from 'vscode';
import type { RunContextOptions } from '../runner/runContext';

/** Pipewright's settings, read fresh each time they are needed. */
export function pipewrightConfig(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration('pipewright');
}

export function runContextOptions(): RunContextOptions {
  const c = pipewrightConfig();
  const positive = (key: string) => {
    const v = c.get<number>(key);
    return typeof v === 'number' && v > 0 ? v : undefined;
  };
  return {
    defaultImage: c.get<string>('defaultImage') || undefined,
    dockerHost: c.get<string>('dockerHost') || undefined,
    storeRoot: c.get<string>('storePath') || undefined,
    budget: { cpu: positive('budget.cpus'), mem: positive('budget.memoryGB') },
    retentionDays: positive('retentionDays'),
  };
}

interface PythonApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string };
    resolveEnvironment(path: string): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
  };
  settings?: { getExecutionDetails(resource?: vscode.Uri): { execCommand?: string[] } };
}

/**
 * The interpreter for evaluating definitions: the `pipewright.pythonPath` setting, else the Python
 * extension's selected interpreter when it is installed, else python3.
 */
export async function pythonInterpreter(resource?: vscode.Uri): Promise<string> {
  const configured = pipewrightConfig().get<string>('pythonPath');
  if (configured) return configured;
  const ext = vscode.extensions.getExtension<PythonApi>('ms-python.python');
  if (ext) {
    try {
      const api = ext.isActive ? ext.exports : await ext.activate();
      const active = api.environments?.getActiveEnvironmentPath(resource);
      if (active) {
        const resolved = await api.environments!.resolveEnvironment(active.path);
        if (resolved?.executable.uri) return resolved.executable.uri.fsPath;
      }
      const exec = api.settings?.getExecutionDetails(resource).execCommand?.[0];
      if (exec) return exec;
    } catch {
      // the Python extension could not tell: fall back
    }
  }
  return 'python3';
}
