// "Open Shell" and "Debug Node": a VS Code terminal running `pipewright shell|debug ID PATH` (the
// CLI shipped beside this bundle, dist/cli.js, run by the editor's own Node), so the editor and a
// user's terminal debug nodes the same way (Conducto's livedebug and debug).
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunHandle } from '../../runner/runHandle';
import type { PipelineStore } from '../../runner/store/pipelineStore';
import { pipewrightConfig } from '../settings';

export type NodeTerminalKind = 'shell' | 'debug';

/** What `--store` takes: the folder holding the store's `pipelines/`. */
export function storeRootOf(store: PipelineStore): string {
  return path.dirname(store.root);
}

/** The bundled CLI: dist/cli.js next to dist/extension.js. */
function cliPath(): string {
  return path.join(__dirname, 'cli.js');
}

/**
 * Opens the terminal, after the checks that spare the user a terminal that only says no: a
 * shell needs a running Exec node (else offers Debug Node), debug an Exec node that ran.
 */
export async function openNodeTerminal(kind: NodeTerminalKind, run: RunHandle, nodePath: string, storeRoot: string): Promise<vscode.Terminal | undefined> {
  const node = run.tree.get(nodePath);
  if (!node.isLeaf) return void vscode.window.showInformationMessage(`Pipewright: ${nodePath} is a ${node.spec.type}; open a shell or debug one of its Exec nodes.`);
  if (kind === 'shell' && node.state !== 'running') {
    const choice = await vscode.window.showInformationMessage(`Pipewright: ${nodePath} is not running (it is ${node.state}); a shell joins a running node's container.`, ...(node.executions.length ? ['Debug Node'] : []));
    return choice === 'Debug Node' ? openNodeTerminal('debug', run, nodePath, storeRoot) : undefined;
  }
  if (kind === 'debug' && !node.executions.length) return void vscode.window.showInformationMessage(`Pipewright: ${nodePath} has not run yet; Debug Node starts a container from the image it ran in.`);
  const dockerHost = pipewrightConfig().get<string>('dockerHost');
  const terminal = vscode.window.createTerminal({
    name: `${kind === 'shell' ? 'Shell' : 'Debug'} ${nodePath} (${run.id})`,
    shellPath: process.execPath,
    shellArgs: [cliPath(), kind, run.id, nodePath, '--store', storeRoot],
    env: { ELECTRON_RUN_AS_NODE: '1', ...(dockerHost ? { DOCKER_HOST: dockerHost } : {}) },
    iconPath: new vscode.ThemeIcon(kind === 'shell' ? 'terminal' : 'debug'),
  });
  terminal.show();
  return terminal;
}
