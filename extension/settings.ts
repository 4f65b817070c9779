import { PVSC_EXTENSION_ID, PythonExtension } from '@vscode/python-extension';
import * as vscode from 'vscode';
import { EDITOR_LIMITS, type EvaluationLimits } from '../evaluator/limits';
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
    // Checked by the runner, which names the setting in its error.
    imageMapSetting: c.get<unknown>('imageMap'),
    dockerHost: c.get<string>('dockerHost') || undefined,
    dockerHostFrom: 'the pipewright.dockerHost setting',
    storeRoot: c.get<string>('storePath') || undefined,
    budget: { cpu: positive('budget.cpus'), mem: positive('budget.memoryGB') },
    retentionDays: positive('retentionDays'),
    ...(c.get<string>('backend') ? { backend: c.get<string>('backend'), backendFrom: 'the pipewright.backend setting' } : {}),
    ...(c.get<string>('registry') ? { registry: c.get<string>('registry'), registryFrom: 'the pipewright.registry setting' } : {}),
    // Checked by the runner, which names the setting in its error.
    backendsSetting: c.get<unknown>('backends'),
  };
}

/** The limits of the editor's evaluations (the language server's and "Run pipeline"'s alike). */
export function evaluationLimits(): EvaluationLimits {
  const c = pipewrightConfig();
  const positive = (key: string, fallback: number) => {
    const v = c.get<number>(key);
    return typeof v === 'number' && v > 0 ? v : fallback;
  };
  return { ...EDITOR_LIMITS, timeoutMs: positive('evaluation.timeoutMs', EDITOR_LIMITS.timeoutMs), memoryMb: positive('evaluation.memoryMb', EDITOR_LIMITS.memoryMb) };
}

/**
 * The interpreter for evaluating definitions: the `pipewright.pythonPath` setting, else the Python
 * extension's selected interpreter when it is installed, else python3.
 */
export async function pythonInterpreter(resource?: vscode.Uri): Promise<string> {
  const configured = pipewrightConfig().get<string>('pythonPath');
  if (configured) return configured;
  // PythonExtension.api() rejects when the extension is missing: ask only when it is there.
  if (vscode.extensions.getExtension(PVSC_EXTENSION_ID)) {
    try {
      const { environments } = await PythonExtension.api();
      const resolved = await environments.resolveEnvironment(environments.getActiveEnvironmentPath(resource));
      if (resolved?.executable.uri) return resolved.executable.uri.fsPath;
    } catch {
      // the Python extension could not tell: fall back
    }
  }
  return 'python3';
}
