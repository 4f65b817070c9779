import * as vscode from 'vscode';
import { nodeName, type PipelineNode } from '../../protocol/pipeline';
import type { PipelineEntry } from '../../protocol/lsp';
import type { PipelineMeta } from '../../runner/store/pipelineStore';
import type { RunHandle } from '../../runner/runHandle';
import type { RunNode } from '../../runner/model/runTree';
import { explainCounts, formatCounts } from '../../presentation/format';
import { shownState } from '../../presentation/states';
import { nodeDescription, stateIcon } from './nodePresentation';
import { callText, signatureText } from '../arguments/argumentText';

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
    const params = entry.parameters ?? [];
    // A function needing arguments is not an error: "Run" asks for them.
    const needsArguments = !entry.document && params.some((p) => p.required) && /needs --/.test(entry.error?.message ?? '');
    this.description = [params.length ? `(${signatureText(params)})` : '', entry.default ? 'default' : '', entry.error && !needsArguments ? `⚠ ${entry.error.message}` : ''].filter(Boolean).join(' · ');
    this.tooltip = `${entry.name}(${signatureText(params)})${params.length ? '\nRun asks for its arguments (Ctrl+Enter here runs it).' : ''}`;
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
    this.setScope(false, 0);
  }

  /** Says whether the list is this workspace's runs or everyone's, and what it leaves out. */
  setScope(all: boolean, hidden: number): void {
    this.description = all ? 'all workspaces' : hidden ? `this workspace · ${hidden} elsewhere` : undefined;
    this.tooltip = all
      ? 'Runs of every workspace in the store. "Show Runs of This Workspace" lists only those of definitions in this workspace.'
      : `Runs of definitions in this workspace's folders${hidden ? `; ${hidden} of other workspaces are not listed ("Show Runs of All Workspaces" lists them)` : ''}.`;
    this.contextValue = `runs;all=${all ? 'yes' : 'no'}`;
  }
}

/** A pipeline instance. Live ones have their run; stored ones only their meta until woken. */
export class RunItem extends vscode.TreeItem {
  readonly kind = 'run';
  constructor(
    readonly runId: string,
    readonly run: RunHandle | undefined,
    readonly meta: PipelineMeta | undefined,
  ) {
    // A stored run opens too: its nodes are read from the store when it is expanded.
    super(runId, vscode.TreeItemCollapsibleState.Collapsed);
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
    const args = run ? run.meta.args : this.meta?.args;
    this.tooltip = `${this.runId}: ${callText(name ?? '', args)} from ${run ? run.meta.file : this.meta?.file}${args?.length ? `\nArguments: ${args.join(' ')}` : ''}${counts ? `\n\n${explainCounts(counts)}` : ''}`;
    const autorun = run?.autorun ? 'on' : 'off';
    this.contextValue = `run;live=${run ? 'yes' : 'no'};status=${status};autorun=${autorun};steps=${run?.hasSteps ? 'yes' : 'no'}`;
  }
}

/** Opens the pipeline panel on a run's node (its details); the panel registers it. */
export const OPEN_NODE_DETAILS_COMMAND = 'pipewright.openPanel';

/** A node: of a run (with state and controls) or of a definition not run yet. */
export class NodeItem extends vscode.TreeItem {
  readonly kind = 'node';
  constructor(
    readonly owner: PipelineItem | RunItem,
    public spec: PipelineNode,
    readonly run: RunHandle | undefined,
    public hasChildren: boolean,
    /** Under a pipeline function: only the run has it (a Lazy generated it), not the definition. */
    public generated = false,
  ) {
    super(nodeName(spec.path), hasChildren ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    this.id = nodeItemId(owner.id!, run?.id, spec.path);
    this.update();
  }

  /** The definition was evaluated again: same path, maybe another command, children or line. */
  setSpec(spec: PipelineNode, hasChildren: boolean, generated: boolean): void {
    this.spec = spec;
    this.generated = generated;
    if (hasChildren !== this.hasChildren) {
      this.hasChildren = hasChildren;
      this.collapsibleState = hasChildren ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None;
    }
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
      // A click shows the node's details in the pipeline panel.
      this.command = { title: 'Show Details', command: OPEN_NODE_DETAILS_COMMAND, arguments: [this.run!.id, this.spec.path, { preserveFocus: true }] };
    } else {
      this.description = this.spec.command ?? this.spec.type;
      this.iconPath = new vscode.ThemeIcon(leaf ? 'terminal' : this.spec.type === 'Parallel' ? 'split-horizontal' : 'list-ordered');
      this.tooltip = `${this.spec.path} (${this.spec.type})${this.spec.command ? `\n${this.spec.command}` : ''}`;
      this.contextValue = `node;live=no;leaf=${leaf}`;
      // Not run yet: its details are its definition.
      const line = Math.max(0, this.spec.source.line - 1);
      this.command = { title: 'Go to Definition', command: 'vscode.open', arguments: [vscode.Uri.file(this.spec.source.file), { selection: new vscode.Range(line, 0, line, 0), preserveFocus: true }] };
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

/** Rows shown under a container at first, and added by each click on its "more" row: VS Code makes a row of every item it is given. */
export const NODE_PAGE = 500;

/** The command a "more" row runs. */
export const SHOW_MORE_NODES_COMMAND = 'pipewright.showMoreNodes';

/** The last row under a container whose children are more than it shows: a click shows the next page. */
export class MoreNodesItem extends vscode.TreeItem {
  readonly kind = 'more';
  constructor(
    readonly container: PipewrightItem,
    shown: number,
    total: number,
  ) {
    super(`… ${(total - shown).toLocaleString('en-US')} more`, vscode.TreeItemCollapsibleState.None);
    this.id = `${container.id}#more`;
    this.description = `show ${Math.min(NODE_PAGE, total - shown).toLocaleString('en-US')} more of ${total.toLocaleString('en-US')}`;
    this.contextValue = 'moreNodes';
    this.iconPath = new vscode.ThemeIcon('ellipsis');
    this.command = { title: 'Show More', command: SHOW_MORE_NODES_COMMAND, arguments: [this] };
  }
}

export type PipewrightItem = DefinitionItem | PipelineItem | RunsGroupItem | RunItem | NodeItem | MoreNodesItem;
