import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS, PIPELINES_VIEW } from '../../protocol/lsp';
import { renderTree } from '../../presentation/tree';
import { DockerUnavailableError } from '../../runner/docker/errors';
import type { RunManager } from '../runManager';
import { DefinitionFailure, evaluateDefinition } from '../../evaluator/evaluateDefinition';
import { evaluationLimits, pythonInterpreter } from '../settings';
import type { PipelinesTreeProvider, TreeSource } from '../treeViews/pipelinesTree';
import { revealDepth } from '../treeViews/revealDepth';
import type { PipelineEntry } from '../../protocol/lsp';
import { ArgumentMemory, askForArguments, askForCommandLine } from '../arguments/argumentPrompt';
import { callText, signatureText } from '../arguments/argumentText';
import { pipelineAtLine } from '../arguments/pipelineAtCursor';
import { DefinitionItem, PipelineItem, RunItem } from '../treeViews/items';

export interface CommandDeps {
  runs: RunManager;
  tree: PipelinesTreeProvider;
  treeView: vscode.TreeView<unknown>;
  output: vscode.OutputChannel;
  /** The language server's answer for a definition: its pipelines and their parameters. */
  treeSource: TreeSource;
}

function fileOf(uri: unknown): string | undefined {
  if (uri instanceof vscode.Uri) return uri.fsPath;
  if (uri instanceof PipelineItem) return uri.parent.uri.fsPath;
  if (uri instanceof DefinitionItem) return uri.uri.fsPath;
  if (typeof uri === 'string') return uri.startsWith('file:') ? vscode.Uri.parse(uri).fsPath : uri;
  return vscode.window.activeTextEditor?.document.uri.fsPath;
}

/**
 * The definition a command evaluates, saved so it runs what the user sees; undefined (the user is
 * told why) when there is none or the workspace is untrusted.
 */
async function definitionToEvaluate(uri: unknown): Promise<string | undefined> {
  const file = fileOf(uri);
  if (!file) return void vscode.window.showWarningMessage('Pipewright: open a pipeline definition first.');
  if (!vscode.workspace.isTrusted) return void vscode.window.showWarningMessage('Pipewright runs no pipeline code in an untrusted workspace.');
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === file);
  if (doc?.isDirty) await doc.save();
  return file;
}

/** A user-facing message for what went wrong starting a run, with a way to act on it. */
export async function reportFailure(err: unknown): Promise<void> {
  if (err instanceof DefinitionFailure) {
    const choice = await vscode.window.showErrorMessage(`Pipewright: ${err.message}`, 'Go to Error');
    if (choice) await vscode.window.showTextDocument(vscode.Uri.file(err.error.file), { selection: new vscode.Range(err.error.line - 1, 0, err.error.line - 1, 0) });
    return;
  }
  if (err instanceof DockerUnavailableError) {
    void vscode.window.showErrorMessage(`Pipewright: ${err.message}`);
    return;
  }
  void vscode.window.showErrorMessage(`Pipewright: ${(err as Error).message ?? String(err)}`);
}

/** How a run asks for its arguments: one input per parameter (when it has any), or one command line. */
type AskMode = 'perParameter' | 'commandLine';

/** What a run command was invoked on: a CodeLens (uri, function), a sidebar row, or nothing (the palette). */
interface RunTarget {
  file: string;
  func?: string;
  /** The palette: the cursor's line (1-based) in the definition, to pick the function it is in. */
  cursorLine?: number;
}

function runTargetOf(arg: unknown, func: unknown): RunTarget | undefined {
  if (arg instanceof PipelineItem) return { file: arg.parent.uri.fsPath, func: arg.entry.name };
  const editor = vscode.window.activeTextEditor;
  const file = fileOf(arg);
  if (!file) return void vscode.window.showWarningMessage('Pipewright: open a pipeline definition first.');
  if (typeof func === 'string') return { file, func };
  // The palette (no argument): the function the cursor is in.
  if (arg === undefined && editor && editor.document.uri.fsPath === file) return { file, cursorLine: editor.selection.active.line + 1 };
  return { file };
}

/** The pipeline to run when none was named: the one under the cursor, the only one, else the user's pick. */
async function choosePipeline(target: RunTarget, entries: readonly PipelineEntry[]): Promise<PipelineEntry | undefined | 'cancelled'> {
  if (target.cursorLine !== undefined) {
    const under = pipelineAtLine(entries, target.cursorLine);
    if (under) return under;
  }
  if (entries.length <= 1) return entries[0];
  const items = [...entries]
    .sort((a, b) => Number(b.default) - Number(a.default) || a.line - b.line)
    .map((entry) => ({
      label: entry.name,
      description: [entry.default ? 'default' : '', entry.parameters?.length ? `(${signatureText(entry.parameters)})` : ''].filter(Boolean).join(' '),
      detail: `${path.basename(target.file)}, line ${entry.line}`,
      entry,
    }));
  const picked = await vscode.window.showQuickPick(items, { title: 'Pipewright: Run Pipeline', placeHolder: `Which pipeline of ${path.basename(target.file)}?`, matchOnDescription: true });
  return picked ? picked.entry : 'cancelled';
}

export function registerRunCommands(context: vscode.ExtensionContext, deps: CommandDeps): void {
  const { runs, tree, treeView, output } = deps;
  const memory = new ArgumentMemory(context.workspaceState);

  /** Starts a run and shows it in the sidebar; failures are reported. */
  const start = async (file: string, func: string | undefined, args: readonly string[]) => {
    try {
      const title = `Pipewright: starting ${func ? callText(func, args) : path.basename(file)}`;
      const run = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title }, () => runs.start(file, func, args));
      await vscode.commands.executeCommand(`${PIPELINES_VIEW}.focus`);
      const item = await tree.pipelineItemFor(file, func ?? run.meta.name);
      if (item) await treeView.reveal(item, { expand: revealDepth(run.tree.root), focus: false, select: false });
    } catch (err) {
      await reportFailure(err);
    }
  };

  /** Runs a pipeline function, asking which (palette) and for its arguments first. */
  const runPipeline = async (arg: unknown, funcArg: unknown, mode: AskMode) => {
    const target = runTargetOf(arg, funcArg);
    if (!target) return;
    const file = await definitionToEvaluate(target.file);
    if (!file) return;
    // The language server knows the pipelines and their parameters; without it, run as named (the SDK's default).
    const answer = await deps.treeSource(vscode.Uri.file(file)).catch(() => undefined);
    const entries = answer?.pipelines ?? [];
    let entry = target.func !== undefined ? entries.find((e) => e.name === target.func) : undefined;
    if (target.func === undefined && entries.length) {
      const chosen = await choosePipeline(target, entries);
      if (chosen === 'cancelled') return;
      entry = chosen;
    }
    const func = target.func ?? entry?.name;
    const params = entry?.parameters ?? [];
    let args: string[] | undefined = [];
    if (func && mode === 'commandLine') args = await askForCommandLine(memory, file, func, params);
    else if (func && params.length) args = await askForArguments(memory, file, func, params);
    if (args === undefined) return; // Escape
    await start(file, func, args);
  };

  /** A new run of a run's pipeline function with the arguments that run was given. */
  const rerun = async (arg: unknown) => {
    const id = arg instanceof RunItem ? arg.runId : typeof arg === 'string' ? arg : undefined;
    if (!id) return void vscode.window.showWarningMessage('Pipewright: pick a run in the Pipelines view to rerun.');
    const meta = arg instanceof RunItem ? (arg.run?.meta ?? arg.meta) : (runs.get(id)?.meta ?? runs.store().meta(id));
    if (!meta) return;
    const file = await definitionToEvaluate(meta.file);
    if (file) await start(file, meta.name, meta.args ?? []);
  };

  context.subscriptions.push(
    vscode.commands.registerCommand(COMMANDS.runPipeline, (uri?: unknown, func?: unknown) => runPipeline(uri, func, 'perParameter')),
    vscode.commands.registerCommand(COMMANDS.runPipelineWithArguments, (uri?: unknown, func?: unknown) => runPipeline(uri, func, 'commandLine')),
    vscode.commands.registerCommand(COMMANDS.rerunWithSameArguments, (item?: unknown) => rerun(item).catch(reportFailure)),
    // The keyboard in the Pipelines view (ctrl+enter): a selected pipeline function runs, a selected run reruns.
    vscode.commands.registerCommand(COMMANDS.runSelected, () => {
      const selected = treeView.selection[0];
      if (selected instanceof PipelineItem || selected instanceof DefinitionItem) return runPipeline(selected, undefined, 'perParameter');
      if (selected instanceof RunItem) return rerun(selected).catch(reportFailure);
      void vscode.window.showInformationMessage('Pipewright: select a pipeline function (or a run) in the Pipelines view to run it.');
    }),
    vscode.commands.registerCommand(COMMANDS.showTree, async (uri?: string | vscode.Uri, func?: string) => {
      const file = await definitionToEvaluate(uri);
      if (!file) return;
      try {
        const doc = await evaluateDefinition(file, { func, python: await pythonInterpreter(vscode.Uri.file(file)), limits: evaluationLimits() });
        output.appendLine(`${path.basename(file)} ${doc.name}:`);
        output.appendLine(renderTree(doc.nodes));
        output.show(true);
      } catch (err) {
        await reportFailure(err);
      }
    }),
    vscode.commands.registerCommand(COMMANDS.refresh, () => tree.refresh()),
  );
}
