import * as vscode from 'vscode';
import { nodeName, type PipelineNode } from '../../protocol/pipeline';
import type { PipelineEntry } from '../../protocol/lsp';
import type { PipelineMeta } from '../../runner/store/pipelineStore';
import type { PipelineRun } from '../../runner/pipelineRun';
import type { RunNode } from '../../runner/model/runTree';
import { formatCounts } from '../../presentation/format';
import { shownState } from '../../presentation/states';
import { nodeDescription, stateIcon } from './nodePresentation';

/** A definition file in the workspace. */
export class DefinitionItem extends vscode.TreeItem {
  readonly kind = 'definition';
  constructor(readonly uri: vscode.Uri) {
    super(vscode.workspace.asRelativePath(uri), vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `def:${uri.toString()}`;
    this.resourceUri = uri;
    this.iconPath = vscode.ThemeIcon.File;
    this.contextValue = 'definition';
  }
}

/** A pipeline function of a definition (or its module-level tree). */
export class PipelineItem extends vscode.TreeItem {
  readonly kind = 'pipeline';
  constructor(
    readonly parent: DefinitionItem,
    public entry: PipelineEntry,
  ) {
    super(entry.name, vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `fn:${parent.uri.toString()}#${entry.name}`;
    this.contextValue = 'pipeline';
    this.iconPath = new vscode.ThemeIcon('symbol-function');
    this.setEntry(entry);
  }

  /** The language server re-evaluated the definition. */
  setEntry(entry: PipelineEntry): void {
    this.entry = entry;
    this.description = [entry.default ? 'default' : '', entry.error ? `⚠ ${entry.error.message}` : ''].filter(Boolean).join(' · ');
    this.command = { title: 'Go to Definition', command: 'vscode.open', arguments: [this.parent.uri, { selection: new vscode.Range(entry.line - 1, 0, entry.line - 1, 0) }] };
  }
}

/** The "Runs" group: pipeline instances, running here or kept in the store. */
export class RunsGroupItem extends vscode.TreeItem {
  readonly kind = 'runs';
  constructor() {
    super('Runs', vscode.TreeItemCollapsibleState.Expanded);
    this.id = 'runs';
    this.contextValue = 'runs';
    this.iconPath = new vscode.ThemeIcon('history');
  }
}

/** A pipeline instance. Live ones have their run; stored ones only their meta until woken. */
export class RunItem extends vscode.TreeItem {
  readonly kind = 'run';
  constructor(
    readonly runId: string,
    readonly run: PipelineRun | undefined,
    readonly meta: PipelineMeta | undefined,
  ) {
    super(runId, run ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    this.id = `run:${runId}`;
    this.update();
  }

  update(): void {
    const run = this.run;
    const status = run ? run.status : (this.meta?.status ?? 'active');
    const state = run ? run.tree.root.state : this.meta?.rootState;
    const counts = run ? run.tree.root.leafCounts : this.meta?.counts;
    const name = run ? run.meta.name : this.meta?.name;
    const sleeping = status === 'sleeping';
    // A sleeping run's unfinished work reads "sleeping"; a finished one says it sleeps after its state.
    const shown = state ? shownState(state, sleeping) : undefined;
    const where = sleeping ? (shown === 'sleeping' ? '' : 'sleeping') : run ? '' : 'stored';
    this.description = [shown, where, counts ? formatCounts(counts) : '', name].filter(Boolean).join(' · ');
    this.iconPath = state ? stateIcon(state, false, sleeping) : new vscode.ThemeIcon('circle-outline');
    this.tooltip = `${this.runId}: ${name} from ${run ? run.meta.file : this.meta?.file}`;
    const autorun = run?.scheduler.autorun ? 'on' : 'off';
    this.contextValue = `run;live=${run ? 'yes' : 'no'};status=${status};autorun=${autorun};steps=${run?.hasSteps ? 'yes' : 'no'}`;
  }
}

/** A node: of a run (with state and controls) or of a definition not run yet. */
export class NodeItem extends vscode.TreeItem {
  readonly kind = 'node';
  constructor(
    readonly owner: PipelineItem | RunItem,
    readonly spec: PipelineNode,
    readonly run: PipelineRun | undefined,
    readonly hasChildren: boolean,
  ) {
    super(nodeName(spec.path), hasChildren ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    this.id = nodeItemId(owner.id!, run?.id, spec.path);
    this.update();
  }

  get runNode(): RunNode | undefined {
    return this.run?.tree.byPath.get(this.spec.path);
  }

  update(): void {
    const node = this.runNode;
    const leaf = this.spec.type === 'Exec';
    if (node) {
      const sleeping = this.run?.status === 'sleeping';
      this.description = nodeDescription(node, sleeping);
      this.iconPath = stateIcon(node.state, node.skipped, sleeping);
      // Built on hover (resolveTreeItem): a refresh then sends a few fields per row, not a document.
      this.tooltip = undefined;
      this.contextValue = `node;live=yes;leaf=${leaf};state=${node.state};skipped=${node.skipped};ran=${node.executions.length > 0 || !leaf};step=${this.spec.step ? 'yes' : 'no'}`;
    } else {
      this.description = this.spec.command ?? this.spec.type;
      this.iconPath = new vscode.ThemeIcon(leaf ? 'terminal' : this.spec.type === 'Parallel' ? 'split-horizontal' : 'list-ordered');
      this.tooltip = `${this.spec.path} (${this.spec.type})${this.spec.command ? `\n${this.spec.command}` : ''}`;
      this.contextValue = `node;live=no;leaf=${leaf}`;
    }
  }

  get sourceLocation(): { file: string; line: number } {
    return this.spec.source;
  }
}

/** A node item's id: one per place it shows (under its pipeline function, under Runs) and run. */
export function nodeItemId(ownerId: string, runId: string | undefined, nodePath: string): string {
  return runId ? `node:${ownerId}:${runId}:${nodePath}` : `node:${ownerId}:${nodePath}`;
}

export type PipewrightItem = DefinitionItem | PipelineItem | RunsGroupItem | RunItem | NodeItem;
