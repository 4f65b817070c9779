import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TreeResult } from '../protocol/lsp';
import { parentPath, type PipelineDocument } from '../protocol/pipeline';
import type { PipelineRun } from '../runner/pipelineRun';
import type { RunChange, RunManager } from '../runs/runManager';
import type { DefinitionIndex } from './definitionIndex';
import { childrenByPath } from '../pipeline/renderTree';
import { DefinitionItem, NodeItem, PipelineItem, RunItem, RunsGroupItem, type PipewrightItem } from './items';

/** Asks the language server for a document's pipelines. */
export type TreeSource = (uri: vscode.Uri) => Promise<TreeResult | undefined>;

/** Past this many changed nodes in one batch, one full refresh is cheaper than many small ones. */
const FULL_REFRESH_THRESHOLD = 300;

/**
 * The "Pipelines" view: definitions → pipeline functions → nodes (live states once run), and the
 * runs. Children load when expanded; items are kept by id so a runner update refreshes only the
 * items of the nodes that changed.
 */
export class PipelinesTreeProvider implements vscode.TreeDataProvider<PipewrightItem>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<PipewrightItem | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly items = new Map<string, PipewrightItem>();
  /** Node items by run id and path (a node can show under its pipeline function and under Runs). */
  private readonly nodeItems = new Map<string, Map<string, NodeItem[]>>();
  private readonly trees = new Map<string, TreeResult | undefined>();
  private readonly documentIndex = new WeakMap<PipelineDocument, ReturnType<typeof childrenByPath>>();
  private readonly runsGroup = new RunsGroupItem();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly runs: RunManager,
    private readonly definitions: DefinitionIndex,
    private readonly treeSource: TreeSource,
  ) {
    this.disposables.push(
      runs.onDidChange((changes) => this.runsChanged(changes)),
      definitions.onDidChange(() => this.refresh()),
    );
  }

  refresh(): void {
    this.trees.clear();
    this.items.clear();
    this.nodeItems.clear();
    this.emitter.fire(undefined);
  }

  /** A definition's pipelines changed (the language server re-evaluated it). */
  definitionChanged(uri: vscode.Uri): void {
    this.trees.delete(uri.toString());
    const item = this.items.get(`def:${uri.toString()}`);
    this.emitter.fire(item);
  }

  getTreeItem(item: PipewrightItem): vscode.TreeItem {
    return item;
  }

  getParent(item: PipewrightItem): PipewrightItem | undefined {
    if (item instanceof PipelineItem) return item.parent;
    if (item instanceof RunItem) return this.runsGroup;
    if (item instanceof NodeItem) {
      const parent = parentPath(item.spec.path);
      if (!parent || parent === '/') return item.owner;
      const id = item.run ? `node:${item.owner.id}:${item.run.id}:${parent}` : `node:${item.owner.id}:${parent}`;
      return this.items.get(id) ?? item.owner;
    }
    return undefined;
  }

  async getChildren(item?: PipewrightItem): Promise<PipewrightItem[]> {
    if (!item) {
      const defs = (await this.definitions.definitions()).map((uri) => this.keep(new DefinitionItem(uri)));
      const hasRuns = this.runs.active().length > 0 || this.runs.stored().length > 0;
      return hasRuns ? [...defs, this.runsGroup] : defs;
    }
    if (item instanceof DefinitionItem) {
      const tree = await this.treeOf(item.uri);
      return (tree?.pipelines ?? []).map((entry) => this.withRunState(this.keep(new PipelineItem(item, entry))));
    }
    if (item instanceof PipelineItem) {
      const run = this.runs.latestFor(item.parent.uri.fsPath, item.entry.name);
      if (run) return this.runChildren(item, run, '/');
      return item.entry.document ? this.documentNodes(item, item.entry.document, '/') : [];
    }
    if (item instanceof RunsGroupItem) {
      const live = this.runs.active().map((run) => this.keep(new RunItem(run.id, run, undefined)));
      const stored = this.runs.stored().map((meta) => this.keep(new RunItem(meta.id, undefined, meta)));
      return [...live, ...stored];
    }
    if (item instanceof RunItem) return item.run ? this.runChildren(item, item.run, '/') : [];
    if (item.run) return this.runChildren(item.owner, item.run, item.spec.path);
    const doc = item.owner instanceof PipelineItem ? item.owner.entry.document : undefined;
    return doc ? this.documentNodes(item.owner, doc, item.spec.path) : [];
  }

  /** The pipeline function's item for a run, to reveal it when the run starts (loaded if need be). */
  async pipelineItemFor(file: string, func: string): Promise<PipelineItem | undefined> {
    const uri = vscode.Uri.file(path.resolve(file));
    const id = `fn:${uri.toString()}#${func}`;
    if (!this.items.has(id)) await this.getChildren(this.keep(new DefinitionItem(uri)));
    return this.items.get(id) as PipelineItem | undefined;
  }

  /** The item of a run's node already shown in the view, if any (the panel syncs its selection). */
  nodeItemFor(runId: string, nodePath: string): NodeItem | undefined {
    return this.nodeItems.get(runId)?.get(nodePath)?.[0];
  }

  private async treeOf(uri: vscode.Uri): Promise<TreeResult | undefined> {
    const key = uri.toString();
    if (!this.trees.has(key)) this.trees.set(key, await this.treeSource(uri).catch(() => undefined));
    return this.trees.get(key);
  }

  private withRunState(item: PipelineItem): PipelineItem {
    const run = this.runs.latestFor(item.parent.uri.fsPath, item.entry.name);
    if (run) {
      item.description = `${run.id} · ${run.tree.root.state}${item.entry.default ? ' · default' : ''}`;
      item.collapsibleState = vscode.TreeItemCollapsibleState.Expanded;
    }
    return item;
  }

  private runChildren(owner: PipelineItem | RunItem, run: PipelineRun, at: string): NodeItem[] {
    const node = run.tree.byPath.get(at);
    if (!node) return [];
    return node.children.map((child) => this.keepNode(new NodeItem(owner, child.spec, run, child.children.length > 0 || !child.isLeaf)));
  }

  private documentNodes(owner: PipelineItem | RunItem, doc: PipelineDocument, at: string): NodeItem[] {
    let index = this.documentIndex.get(doc);
    if (!index) this.documentIndex.set(doc, (index = childrenByPath(doc.nodes)));
    const children = index;
    return (children.get(at) ?? []).map((spec) => this.keep(new NodeItem(owner, spec, undefined, children.has(spec.path))));
  }

  /** Reuses the item already shown under this id, so refreshes target the same object. */
  private keep<T extends PipewrightItem>(fresh: T): T {
    const id = fresh.id!;
    const existing = this.items.get(id) as T | undefined;
    const replaced = existing instanceof RunItem && fresh instanceof RunItem && existing.run !== fresh.run;
    if (existing && existing.constructor === fresh.constructor && !replaced) {
      if (existing instanceof NodeItem || existing instanceof RunItem) existing.update();
      if (existing instanceof PipelineItem && fresh instanceof PipelineItem) existing.setEntry(fresh.entry);
      return existing;
    }
    this.items.set(id, fresh);
    return fresh;
  }

  private keepNode(fresh: NodeItem): NodeItem {
    const item = this.keep(fresh);
    if (!item.run) return item;
    let byPath = this.nodeItems.get(item.run.id);
    if (!byPath) this.nodeItems.set(item.run.id, (byPath = new Map()));
    const list = byPath.get(item.spec.path) ?? [];
    if (!list.includes(item)) list.push(item);
    byPath.set(item.spec.path, list);
    return item;
  }

  private runsChanged(changes: RunChange[]): void {
    let total = 0;
    for (const change of changes) total += change.paths.size || FULL_REFRESH_THRESHOLD;
    if (total >= FULL_REFRESH_THRESHOLD) {
      for (const item of this.items.values()) if (item instanceof NodeItem || item instanceof RunItem) item.update();
      this.emitter.fire(undefined);
      return;
    }
    for (const { run, paths } of changes) {
      const byPath = this.nodeItems.get(run.id);
      for (const p of paths) {
        for (const item of byPath?.get(p) ?? []) {
          item.update();
          this.emitter.fire(item);
        }
      }
      const runItem = this.items.get(`run:${run.id}`);
      if (runItem instanceof RunItem) {
        runItem.update();
        this.emitter.fire(runItem);
      }
      for (const item of this.items.values()) {
        if (item instanceof PipelineItem && this.runs.latestFor(item.parent.uri.fsPath, item.entry.name) === run) {
          this.withRunState(item);
          this.emitter.fire(item);
        }
      }
    }
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
    this.emitter.dispose();
  }
}
