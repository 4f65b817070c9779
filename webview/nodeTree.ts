// The node tree: virtualized rows of the expanded containers, state icons, keyboard navigation
// (as VS Code's trees: arrows, Home/End, PageUp/PageDown, Enter/Space), synced with the sidebar.
import { shownState } from '../presentation/states';
import { clear, h, icon, stateClass } from './dom';
import { formatDuration, outcome, STATE_ICON, STATE_LETTER } from './format';
import { nodeName } from '../protocol/pipeline';
import type { Row } from './nodeIndex';
import type { UiAction, ViewState } from './state';
import { VirtualList } from './virtualList';

export const ROW_HEIGHT = 22;

export class NodeTree {
  readonly el: HTMLElement;
  private readonly list: VirtualList;
  private rows: Row[] = [];
  private rowOf = new Map<string, number>();
  private s!: ViewState;
  private filter = '';

  constructor(private readonly dispatch: (a: UiAction) => void) {
    const viewport = h('div', { class: 'tree', role: 'tree', tabindex: 0, 'aria-label': 'Nodes', 'aria-multiselectable': 'false' });
    this.list = new VirtualList(viewport, { rowHeight: ROW_HEIGHT, renderRow: (el, i) => this.renderRow(el, i) });
    viewport.addEventListener('click', (e) => this.onClick(e));
    viewport.addEventListener('dblclick', (e) => {
      const path = this.pathAt(e);
      if (path) this.dispatch({ type: 'toggle', path });
    });
    viewport.addEventListener('keydown', (e) => this.onKey(e));
    const search = h('input', { class: 'tree-filter', type: 'search', placeholder: 'Go to node…', 'aria-label': 'Go to node by name' }) as HTMLInputElement;
    search.addEventListener('input', () => (this.filter = search.value.trim().toLowerCase()));
    search.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') this.findNext();
      if (e.key === 'ArrowDown' || e.key === 'Escape') viewport.focus();
    });
    this.el = h('div', { class: 'tree-pane' }, h('div', { class: 'pane-toolbar' }, search, this.toolButton('expand-all', 'Expand all', () => this.dispatch({ type: 'expandAll', open: true })), this.toolButton('collapse-all', 'Collapse all', () => this.dispatch({ type: 'expandAll', open: false }))), viewport);
  }

  private toolButton(name: string, title: string, onClick: () => void): HTMLElement {
    const b = h('button', { class: 'icon-button', title, 'aria-label': title, type: 'button' }, icon(name));
    b.addEventListener('click', onClick);
    return b;
  }

  /** The first node after the selection whose name contains the filter text (wrapping). */
  private findNext(): void {
    if (!this.filter) return;
    const all = [...this.s.index.byPath.keys()];
    const start = this.s.selected ? all.indexOf(this.s.selected) + 1 : 0;
    for (let k = 0; k < all.length; k++) {
      const p = all[(start + k) % all.length]!;
      if (nodeName(p).toLowerCase().includes(this.filter)) {
        this.dispatch({ type: 'select', path: p });
        return;
      }
    }
  }

  setRows(s: ViewState, rows: Row[]): void {
    this.s = s;
    this.rows = rows;
    this.rowOf = new Map(rows.map((r, i) => [r.path, i]));
    this.list.setCount(rows.length);
  }

  refresh(s: ViewState): void {
    this.s = s;
    this.list.refresh();
    const i = s.selected ? this.rowOf.get(s.selected) : undefined;
    if (i !== undefined) this.list.viewport.setAttribute('aria-activedescendant', `node-row-${i}`);
  }

  reveal(path: string | null): void {
    const i = path ? this.rowOf.get(path) : undefined;
    if (i !== undefined) this.list.scrollToIndex(i);
  }

  focus(): void {
    this.list.viewport.focus();
  }

  private renderRow(el: HTMLElement, i: number): void {
    const row = this.rows[i];
    if (row?.more) return this.renderMore(el, i, row);
    const node = row && this.s.index.get(row.path);
    if (!row || !node) return;
    const selected = row.path === this.s.selected;
    const skippedBy = this.s.index.skippedBy(row.path);
    el.id = `node-row-${i}`;
    el.setAttribute('role', 'treeitem');
    el.setAttribute('aria-level', String(row.depth + 1));
    el.setAttribute('aria-selected', String(selected));
    if (row.hasChildren) el.setAttribute('aria-expanded', String(row.expanded));
    else el.removeAttribute('aria-expanded');
    el.dataset.path = row.path;
    el.className = `vlist-row tree-row${selected ? ' selected' : ''}${skippedBy ? ' skipped' : ''}`;
    el.style.paddingLeft = `${6 + row.depth * 14}px`;
    clear(el);
    const twisty = row.hasChildren ? icon(row.expanded ? 'chevron-down' : 'chevron-right', 'twisty') : h('span', { class: 'twisty' });
    const stIcon = skippedBy ? icon('debug-step-over', 'state-icon state-skipped') : icon(STATE_ICON[node.state], `state-icon ${stateClass(node.state)}${node.state === 'running' ? ' codicon-modifier-spin' : ''}`);
    const label = h('span', { class: 'label' }, nodeName(row.path) === '/' ? (this.s.run?.name ?? '/') : nodeName(row.path));
    let desc: string;
    if (skippedBy) desc = skippedBy === row.path ? 'skipped' : 'skipped (parent)';
    else if (node.type === 'Exec') {
      const last = node.executions[node.executions.length - 1];
      desc = last ? `${outcome(last)} ${formatDuration((last.endedAt ?? Date.now()) - last.startedAt)}` : shownState(node.state, this.s.run?.status === 'sleeping');
      if (node.executions.length > 1) desc += ` ·${node.executions.length}×`;
    } else {
      desc = (['running', 'queued', 'error', 'killed', 'done', 'pending'] as const)
        .filter((st) => node.counts[st])
        .map((st) => `${STATE_LETTER[st]}${node.counts[st]}`)
        .join(' ');
    }
    el.append(twisty, stIcon, label, h('span', { class: 'desc' }, desc));
    el.title = `${row.path} (${node.type})${node.command ? `\n${node.command}` : ''}`;
  }

  /** "… N more": a large run's container's children not sent yet; a click asks for the next page. */
  private renderMore(el: HTMLElement, i: number, row: Row): void {
    const { loaded, remaining } = row.more!;
    el.id = `node-row-${i}`;
    el.setAttribute('role', 'treeitem');
    el.setAttribute('aria-level', String(row.depth + 1));
    el.setAttribute('aria-selected', 'false');
    el.removeAttribute('aria-expanded');
    el.dataset.path = row.path;
    el.className = 'vlist-row tree-row more-row';
    el.style.paddingLeft = `${6 + row.depth * 14}px`;
    clear(el);
    el.append(h('span', { class: 'twisty' }), icon(loaded ? 'ellipsis' : 'loading', loaded ? 'state-icon' : 'state-icon codicon-modifier-spin'), h('span', { class: 'label' }, loaded ? `${remaining.toLocaleString('en-US')} more` : `loading ${remaining.toLocaleString('en-US')}…`));
    el.title = loaded ? `Show the next children of ${row.more!.container}` : '';
  }

  private pathAt(e: Event): string | undefined {
    return ((e.target as HTMLElement).closest('.tree-row') as HTMLElement | null)?.dataset.path;
  }

  private onClick(e: MouseEvent): void {
    const path = this.pathAt(e);
    if (!path) return;
    const more = this.rows[this.rowOf.get(path) ?? -1]?.more;
    if (more) return this.dispatch({ type: 'moreChildren', path: more.container });
    if ((e.target as HTMLElement).classList.contains('twisty')) this.dispatch({ type: 'toggle', path });
    else this.dispatch({ type: 'select', path });
    this.list.viewport.focus();
  }

  private onKey(e: KeyboardEvent): void {
    const cur = this.s.selected ? (this.rowOf.get(this.s.selected) ?? 0) : 0;
    const row = this.rows[cur];
    const go = (i: number) => {
      const r = this.rows[Math.max(0, Math.min(this.rows.length - 1, i))];
      // Arrowing onto "… N more" brings the next page (the selection stays on a node).
      if (r?.more) this.dispatch({ type: 'moreChildren', path: r.more.container });
      else if (r) {
        this.dispatch({ type: 'select', path: r.path });
        this.reveal(r.path);
      }
    };
    switch (e.key) {
      case 'ArrowDown':
        go(cur + 1);
        break;
      case 'ArrowUp':
        go(cur - 1);
        break;
      case 'Home':
        go(0);
        break;
      case 'End':
        go(this.rows.length - 1);
        break;
      case 'PageDown':
        go(cur + this.list.pageSize);
        break;
      case 'PageUp':
        go(cur - this.list.pageSize);
        break;
      case 'ArrowRight':
        if (row?.hasChildren && !row.expanded) this.dispatch({ type: 'expand', path: row.path, open: true });
        else if (row?.expanded) go(cur + 1);
        break;
      case 'ArrowLeft':
        if (row?.expanded) this.dispatch({ type: 'expand', path: row.path, open: false });
        else if (row && row.depth > 0) {
          for (let i = cur - 1; i >= 0; i--)
            if (this.rows[i]!.depth < row.depth) {
              go(i);
              break;
            }
        }
        break;
      case 'Enter':
      case ' ':
        if (row?.more) this.dispatch({ type: 'moreChildren', path: row.more.container });
        else if (row?.hasChildren) this.dispatch({ type: 'toggle', path: row.path });
        break;
      default:
        return;
    }
    e.preventDefault();
  }
}
