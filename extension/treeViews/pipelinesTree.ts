import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TreeResult } from '../../protocol/lsp';
import { parentPath, type PipelineDocument } from '../../protocol/pipeline';
import type { RunNode } from '../../runner/model/runTree';
import type { RunHandle } from '../../runner/runHandle';
import type { RunChange, RunManager } from '../runManager';
import type { DefinitionIndex } from './definitionIndex';
import { describeArguments } from '../../presentation/arguments';
import { childrenByPath } from '../../presentation/tree';
import { nodeTooltip } from './nodePresentation';
import { shownState } from '../../presentation/states';
import { Throttle } from './throttle';
import { DefinitionItem, MoreNodesItem, NODE_PAGE, NodeItem, nodeItemId, PipelineItem, RunItem, RunsGroupItem, type PipewrightItem } from './items';
import { scopeRuns } from './runsScope';

/** Asks the language server for a document's pipelines. */
export type TreeSource = (uri: vscode.Uri) => Promise<TreeResult | undefined>;

/** Which runs the Runs group lists: those of definitions in the workspace folders, or all. */
export interface RunsScope {
  folders(): readonly string[];
  all(): boolean;
  /** How many runs the list leaves out (the view's welcome text offers to show them). */
  hiddenChanged?(hidden: number): void;
}

/** No scope given: every run shows. */
const ALL_RUNS: RunsScope = { folders: () => [], all: () => true };

/** Past this many changed rows in one batch, refreshing their containers is cheaper than each row. */
const LEAF_REFRESH_LIMIT = 300;
/** Containers refresh at most this often while a pipeline runs: each refresh refetches what is open under them. */
const CONTAINER_REFRESH_MS = 1000;
/** ... and less often the more rows are open under them, up to this. */
const MAX_CONTAINER_REFRESH_MS = 10_000;
const MS_PER_OPEN_ROW = 5;
/**
 * The throttle's timer counts from the event loop's clock, read when the loop's turn began, so by
 * Date.now() it may fire early by as long as that turn had run: a container is due that much before
 * its interval is over, else a timer a millisecond early would put it off by a whole interval.
 */
const TIMER_SLACK_MS = 100;
/**
 * VS Code may drop a refresh (one that arrives while it fetches the same rows, or while the view is
 * being created): what it last fetched of the root and the Runs group is checked against the runs
 * at each change, and fired again when it differs and this long has passed since the last refresh.
 */
const REFETCH_GRACE_MS = 2000;

/** The runs the Runs group lists, as one string to compare: a stored run that went live is another row under the same id. */
const runIds = (active: readonly { id: string }[], stored: readonly { id: string }[]): string => [...active.map((r) => `${r.id}:live`), ...stored.map((r) => r.id)].join(' ');

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
  private dirtyContainers = new Set<PipewrightItem>();
  private rootDirty = false;
  private readonly lastRefresh = new WeakMap<PipewrightItem, number>();
  /** Expanded or collapsed by the user, by item id (otherwise the item's own collapsibleState). */
  private readonly expanded = new Map<string, boolean>();
  /** How many children a container shows, by item id, once its "more" row was clicked (else NODE_PAGE). */
  private readonly shownChildren = new Map<string, number>();
  private readonly containerRefresh = new Throttle(CONTAINER_REFRESH_MS, () => this.flushContainers());
  /** What VS Code last fetched: whether the root held the Runs group, and the Runs group's run ids. */
  private shownRoot: { hasRuns: boolean; at: number } | undefined;
  private shownRuns: { ids: string; at: number } | undefined;
  private rootFiredAt = 0;
  private reportedHidden: number | undefined;
  private shownCheck: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly runs: RunManager,
    private readonly definitions: DefinitionIndex,
    private readonly treeSource: TreeSource,
    private readonly scope: RunsScope = ALL_RUNS,
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
    this.dirtyContainers.clear();
    this.rootFiredAt = Date.now();
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

  /** The tooltip of a run's node, built when the user hovers it. */
  resolveTreeItem(item: vscode.TreeItem, element: PipewrightItem): vscode.TreeItem {
    if (element instanceof NodeItem && element.runNode) item.tooltip = nodeTooltip(element.runNode, element.run?.status === 'sleeping');
    return item;
  }

  getParent(item: PipewrightItem): PipewrightItem | undefined {
    if (item instanceof MoreNodesItem) return item.container;
    if (item instanceof PipelineItem) return item.parent;
    if (item instanceof RunItem) return this.runsGroup;
    if (item instanceof NodeItem) {
      const parent = parentPath(item.spec.path);
      if (!parent || parent === '/') return item.owner;
      // Under a pipeline function, a node not in the run may sit under one that is, and back.
      const latest = item.owner instanceof PipelineItem ? this.runs.latestFor(item.owner.parent.uri.fsPath, item.owner.entry.name)?.id : undefined;
      const owner = item.owner.id!;
      return this.items.get(nodeItemId(owner, item.run?.id, parent)) ?? (latest ? this.items.get(nodeItemId(owner, latest, parent)) : undefined) ?? this.items.get(nodeItemId(owner, undefined, parent)) ?? item.owner;
    }
    return undefined;
  }

  /** A "more" row was clicked: its container shows another page of children. */
  showMore(more: MoreNodesItem): void {
    const id = more.container.id!;
    this.shownChildren.set(id, (this.shownChildren.get(id) ?? NODE_PAGE) + NODE_PAGE);
    this.emitter.fire(more.container);
  }

  async getChildren(item?: PipewrightItem): Promise<PipewrightItem[]> {
    if (item instanceof MoreNodesItem) return [];
    if (!item) {
      const defs = (await this.definitions.definitions()).map((uri) => this.keep(new DefinitionItem(uri)));
      const hasRuns = this.hasRuns();
      this.shownRoot = { hasRuns, at: Date.now() };
      return hasRuns ? [...defs, this.runsGroup] : defs;
    }
    if (item instanceof DefinitionItem) {
      const tree = await this.treeOf(item.uri);
      return (tree?.pipelines ?? []).map((entry) => this.withRunState(this.keep(new PipelineItem(item, entry))));
    }
    if (item instanceof PipelineItem) {
      const run = this.runs.latestFor(item.parent.uri.fsPath, item.entry.name);
      // The definition as it is now (it follows edits), with its latest run's states over it.
      if (item.entry.document) return this.paged(item, (n) => this.definitionNodes(item, item.entry.document!, run, '/', n));
      return run ? this.paged(item, (n) => this.runChildren(item, run, '/', false, n)) : [];
    }
    if (item instanceof RunsGroupItem) {
      const { active, stored: storedMetas, hidden } = this.scopedRuns();
      this.shownRuns = { ids: runIds(active, storedMetas), at: Date.now() };
      this.runsGroup.setScope(this.scope.all(), hidden);
      const live = active.map((run) => this.keep(new RunItem(run.id, run, undefined)));
      const stored = storedMetas.map((meta) => this.keep(new RunItem(meta.id, undefined, meta)));
      return [...live, ...stored];
    }
    if (item instanceof RunItem) {
      // A stored run is read when opened (from its checkpoint), shared with the panel.
      const run = item.run ?? (await this.storedRun(item.runId));
      return run ? this.paged(item, (n) => this.runChildren(item, run, '/', false, n)) : [];
    }
    if (item.owner instanceof PipelineItem && item.owner.entry.document && !item.generated) {
      const { owner } = item;
      return this.paged(item, (n) => this.definitionNodes(owner, owner.entry.document!, item.run, item.spec.path, n));
    }
    if (item.run) return this.paged(item, (n) => this.runChildren(item.owner, item.run!, item.spec.path, item.generated, n));
    return [];
  }

  /** A stored run read from the store; a run that cannot be read says why, naming it, and shows no rows. */
  private async storedRun(id: string): Promise<RunHandle | undefined> {
    try {
      return await this.runs.inspect(id);
    } catch (err) {
      void vscode.window.showErrorMessage(`Pipewright: run ${id} could not be read from the store: ${(err as Error).message}`);
      return undefined;
    }
  }

  /**
   * A container's children up to the page it shows, then a "more" row when it has others: a
   * Parallel of a million nodes opens with its first rows, not a million.
   */
  private paged(container: PipewrightItem, rows: (limit: number) => { items: NodeItem[]; total: number }): PipewrightItem[] {
    const shown = this.shownChildren.get(container.id!) ?? NODE_PAGE;
    const { items, total } = rows(shown);
    // A new row each time (not kept): its counts change.
    return total > items.length ? [...items, new MoreNodesItem(container, items.length, total)] : items;
  }

  /** The runs the Runs group lists (this workspace's, or all), and how many it leaves out. */
  private scopedRuns(): { active: RunHandle[]; stored: ReturnType<RunManager['stored']>; hidden: number } {
    const folders = this.scope.folders();
    const all = this.scope.all();
    const active = scopeRuns(this.runs.active(), (r) => r.meta.file, folders, all);
    const stored = scopeRuns(this.runs.stored(), (m) => m.file, folders, all);
    const hidden = active.hidden + stored.hidden;
    if (hidden !== this.reportedHidden) {
      this.reportedHidden = hidden;
      this.scope.hiddenChanged?.(hidden);
    }
    return { active: active.shown, stored: stored.shown, hidden };
  }

  /** The Runs list switched between this workspace and all: the root and the group change. */
  scopeChanged(): void {
    this.rootDirty = true;
    this.flushContainers();
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
      const args = run.meta.args?.length ? ` · ${describeArguments(run.meta.args)}` : '';
      item.description = `${run.id} · ${shownState(run.tree.root.state, run.status === 'sleeping')}${args}${item.entry.default ? ' · default' : ''}`;
      item.collapsibleState = vscode.TreeItemCollapsibleState.Expanded;
    }
    return item;
  }

  /** `generated`: under a pipeline function, nodes only the run has (a Lazy's generated pipeline). */
  private runChildren(owner: PipelineItem | RunItem, run: RunHandle, at: string, generated: boolean, limit: number): { items: NodeItem[]; total: number } {
    const node = run.tree.byPath.get(at);
    if (!node) return { items: [], total: 0 };
    const items = node.children.slice(0, limit).map((child) => this.keepNode(new NodeItem(owner, child.spec, run, child.children.length > 0 || !child.isLeaf, generated)));
    return { items, total: node.children.length };
  }

  /**
   * The definition's nodes under `at` as the language server evaluated it last (so a renamed or
   * added node shows at once), each with the state of the same path in the latest run, if it has
   * one. A Lazy node's children exist only in the run (it generated them): they show from there.
   */
  private definitionNodes(owner: PipelineItem, doc: PipelineDocument, run: RunHandle | undefined, at: string, limit: number): { items: NodeItem[]; total: number } {
    let index = this.documentIndex.get(doc);
    if (!index) this.documentIndex.set(doc, (index = childrenByPath(doc.nodes)));
    const children = index;
    const specs = children.get(at);
    if (!specs?.length) return run && run.tree.byPath.has(at) ? this.runChildren(owner, run, at, true, limit) : { items: [], total: 0 };
    const items = specs.slice(0, limit).map((spec) => {
      const runNode = run?.tree.byPath.get(spec.path);
      const hasChildren = children.has(spec.path) || (runNode !== undefined && (runNode.children.length > 0 || !runNode.isLeaf));
      const item = new NodeItem(owner, spec, runNode ? run : undefined, hasChildren);
      return runNode ? this.keepNode(item) : this.keep(item);
    });
    return { items, total: specs.length };
  }

  /** Reuses the item already shown under this id, so refreshes target the same object. */
  private keep<T extends PipewrightItem>(fresh: T): T {
    const id = fresh.id!;
    const existing = this.items.get(id) as T | undefined;
    // A run's rows belong to the run object they show: a run re-attached after the runner service
    // was replaced is another object, and rows of the old one would never change again.
    const replaced = (existing instanceof RunItem && fresh instanceof RunItem && existing.run !== fresh.run) || (existing instanceof NodeItem && fresh instanceof NodeItem && existing.run !== fresh.run);
    if (existing && existing.constructor === fresh.constructor && !replaced) {
      // The definition changed: the same path may have another command, children, source line.
      if (existing instanceof NodeItem && fresh instanceof NodeItem) existing.setSpec(fresh.spec, fresh.hasChildren, fresh.generated);
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
    const list = (byPath.get(item.spec.path) ?? []).filter((known) => known.run === item.run);
    if (!list.includes(item)) list.push(item);
    byPath.set(item.spec.path, list);
    return item;
  }

  /**
   * Runner changes, batched by the RunManager (100 ms). Refreshing an item makes VS Code fetch its
   * expanded subtree again, so only leaf rows refresh at that pace; containers (a Parallel with
   * 1,000 rows open, the run, the pipeline function) at most once a second, the outermost only.
   *
   * Until VS Code has fetched a refreshed container's children again, it has forgotten them: a
   * context-menu or inline command on one of them gets no element then (microsoft/vscode#144250)
   * and the user's click is lost. So the last state of a run must not be followed by a refresh of
   * what holds its rows: once a run has nothing queued or running, its containers refresh at once,
   * and its rows show through them rather than by themselves. (VS Code sends the first change of a
   * quiet spell at once and the next ones 200 ms later: a row fired before its container would show
   * its new state 200 ms before the container's refresh makes VS Code forget it.)
   */
  private runsChanged(changes: RunChange[]): void {
    // A run was added or deleted (no change listed): the Runs group, maybe the root, has other children.
    if (changes.length === 0 || changes.some((c) => c.added)) this.rootDirty = true;
    else this.refetchIfStale();
    const settled = new Set<RunHandle>();
    const leaves: NodeItem[] = [];
    for (const { run, paths } of changes) {
      const counts = run.tree.root.leafCounts;
      if (counts.queued === 0 && counts.running === 0) settled.add(run);
      const byPath = this.nodeItems.get(run.id);
      const runLeaves: NodeItem[] = [];
      for (const p of paths) {
        for (const item of byPath?.get(p) ?? []) {
          if (item.hasChildren) this.dirtyContainers.add(item);
          else runLeaves.push(item);
        }
        // Containers show their progress: every shown ancestor changes with a leaf.
        for (let up = parentPath(p); up && up !== '/'; up = parentPath(up)) {
          for (const item of byPath?.get(up) ?? []) this.dirtyContainers.add(item);
        }
      }
      // Many rows at once: one refresh of what holds them is cheaper.
      if (runLeaves.length > LEAF_REFRESH_LIMIT) for (const item of runLeaves) this.dirtyContainers.add(this.getParent(item) ?? item);
      else leaves.push(...runLeaves);
      const runItem = this.items.get(`run:${run.id}`);
      if (runItem) this.dirtyContainers.add(runItem);
      for (const item of this.items.values()) {
        if (item instanceof PipelineItem && this.runs.latestFor(item.parent.uri.fsPath, item.entry.name) === run) this.dirtyContainers.add(item);
      }
    }
    // The containers of settled runs first, then the rows none of them covers, then the other
    // containers when the throttle lets them.
    const covering = settled.size ? this.flushContainers(settled) : new Set<PipewrightItem>();
    for (const item of leaves) {
      item.update();
      if (covering === 'all' || this.coveredBy(item, covering)) continue;
      this.emitter.fire(item);
    }
    if (this.dirtyContainers.size || this.rootDirty) this.containerRefresh.request();
  }

  private hasRuns(): boolean {
    const { active, stored, hidden } = this.scopedRuns();
    // VS Code takes the group's row with the root's children: say its scope now.
    this.runsGroup.setScope(this.scope.all(), hidden);
    return active.length > 0 || stored.length > 0;
  }

  /**
   * Fires the root or the Runs group again when what VS Code last fetched of it no longer matches
   * the runs and no refresh of it is on its way (VS Code dropped one). Also called when the view shows.
   */
  refetchIfStale(): void {
    const now = Date.now();
    if (now - this.rootFiredAt < REFETCH_GRACE_MS) return;
    if (this.shownRoot && now - this.shownRoot.at >= REFETCH_GRACE_MS && this.shownRoot.hasRuns !== this.hasRuns()) {
      this.rootDirty = true;
    } else if (this.shownRuns && this.isExpanded(this.runsGroup) && now - Math.max(this.shownRuns.at, this.lastRefresh.get(this.runsGroup) ?? 0) >= REFETCH_GRACE_MS) {
      const { active, stored } = this.scopedRuns();
      if (runIds(active, stored) !== this.shownRuns.ids) this.dirtyContainers.add(this.runsGroup);
    } else return;
    this.containerRefresh.request();
  }

  /** The view shows: once VS Code has had time to fetch what it was sent, check that it did. */
  checkAfterShown(): void {
    clearTimeout(this.shownCheck);
    this.shownCheck = setTimeout(() => this.refetchIfStale(), REFETCH_GRACE_MS + 100);
  }

  /** Is this item inside one of these (being refreshed, they fetch it again)? */
  private coveredBy(item: PipewrightItem, containers: ReadonlySet<PipewrightItem>): boolean {
    if (containers.size === 0) return false;
    for (let up = this.getParent(item); up; up = this.getParent(up)) if (containers.has(up)) return true;
    return false;
  }

  /** The run whose state a container shows (a pipeline function: its latest run). */
  private runOf(item: PipewrightItem): RunHandle | undefined {
    if (item instanceof NodeItem || item instanceof RunItem) return item.run;
    if (item instanceof PipelineItem) return this.runs.latestFor(item.parent.uri.fsPath, item.entry.name);
    return undefined;
  }

  /**
   * Fires the dirty containers due for it, skipping those inside another one being fired (it covers
   * them). A container with many open rows under it waits longer between refreshes, as each one
   * makes VS Code fetch and diff them all: a Parallel open on 1,000 rows must not stutter the view.
   * `settled`: runs with nothing queued or running; only their containers fire, due or not (the
   * caller leaves the others to the throttle). Returns what it fired ('all': the whole tree).
   */
  private flushContainers(settled?: ReadonlySet<RunHandle>): ReadonlySet<PipewrightItem> | 'all' {
    const dirty = this.dirtyContainers;
    this.dirtyContainers = new Set();
    if (this.rootDirty) {
      this.rootDirty = false;
      for (const item of this.items.values()) if (item instanceof NodeItem || item instanceof RunItem) item.update();
      this.rootFiredAt = Date.now();
      this.emitter.fire(undefined);
      return 'all';
    }
    const fired = new Set<PipewrightItem>();
    const now = Date.now();
    for (const item of dirty) {
      if (this.coveredBy(item, dirty)) continue;
      const run = this.runOf(item);
      const settling = run !== undefined && settled?.has(run) === true;
      const interval = Math.min(MAX_CONTAINER_REFRESH_MS, Math.max(CONTAINER_REFRESH_MS, this.openRows(item) * MS_PER_OPEN_ROW));
      const due = settling || (!settled && now - (this.lastRefresh.get(item) ?? 0) >= interval - TIMER_SLACK_MS);
      if (!due) {
        this.dirtyContainers.add(item);
        continue;
      }
      this.lastRefresh.set(item, now);
      if (item instanceof PipelineItem) this.withRunState(item);
      else if (item instanceof NodeItem || item instanceof RunItem) item.update();
      this.emitter.fire(item);
      fired.add(item);
    }
    if (!settled && this.dirtyContainers.size) this.containerRefresh.request();
    return fired;
  }

  /** The view reports what the user expands and collapses. */
  setExpanded(item: PipewrightItem, expanded: boolean): void {
    this.expanded.set(item.id!, expanded);
  }

  private isExpanded(item: PipewrightItem): boolean {
    return this.expanded.get(item.id!) ?? item.collapsibleState === vscode.TreeItemCollapsibleState.Expanded;
  }

  /** Rows VS Code fetches again when this item refreshes: everything open under it. */
  private openRows(item: PipewrightItem): number {
    if (!this.isExpanded(item)) return 0;
    const run = item instanceof NodeItem || item instanceof RunItem ? item.run : item instanceof PipelineItem ? this.runs.latestFor(item.parent.uri.fsPath, item.entry.name) : undefined;
    if (!run) return 0;
    const owner = item instanceof NodeItem ? item.owner : item;
    const count = (node: RunNode): number => {
      let rows = node.children.length;
      for (const child of node.children) {
        if (child.isLeaf) continue;
        const open = this.expanded.get(nodeItemId(owner.id!, run.id, child.path));
        if (open) rows += count(child);
      }
      return rows;
    };
    const node = item instanceof NodeItem ? item.runNode : run.tree.root;
    return node ? count(node) : 0;
  }

  dispose(): void {
    clearTimeout(this.shownCheck);
    this.containerRefresh.dispose();
    this.disposables.forEach((d) => d.dispose());
    this.emitter.dispose();
  }
}
