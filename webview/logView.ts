// The selected execution's output in xterm.js: ANSI colours, search, follow. Text reaches the
// terminal through a LogBuffer, at most once per frame and with flow control (below); only the tail
// is loaded (Load earlier, or the whole file in an editor).
import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { Terminal, type ITheme } from '@xterm/xterm';
import { MAX_TAIL_BYTES, type HostToWebview, type WebviewToHost } from '../protocol/webviewMessages';
import { clear, h, icon, iconButton } from './dom';
import { formatBytes, formatTime, outcome } from './format';
import { findAll } from './logSearch';
import { LogBuffer, pieces } from './logBuffer';
import { currentExecution, logHeading, type UiAction, type ViewState } from './state';

/** Lines the terminal keeps; beyond them, open the log in an editor. */
export const SCROLLBACK = 50_000;
/**
 * xterm parses each write() whole before it yields (it time-slices only between writes): one
 * 2 MB first read or a burst of output froze the panel for seconds. So text goes in pieces ...
 */
const WRITE_CHARS = 32 * 1024;
/**
 * ... and no more than this is handed over unparsed. The rest waits in the LogBuffer, which drops
 * the oldest waiting lines beyond what the terminal keeps, so a log printed faster than the terminal
 * parses costs bounded memory (xterm's own buffer throws past 50 MB) and the view stays at its end.
 */
const MAX_IN_FLIGHT = 256 * 1024;

const ANSI: [keyof ITheme, string][] = [
  ['black', 'terminal-ansiBlack'],
  ['red', 'terminal-ansiRed'],
  ['green', 'terminal-ansiGreen'],
  ['yellow', 'terminal-ansiYellow'],
  ['blue', 'terminal-ansiBlue'],
  ['magenta', 'terminal-ansiMagenta'],
  ['cyan', 'terminal-ansiCyan'],
  ['white', 'terminal-ansiWhite'],
  ['brightBlack', 'terminal-ansiBrightBlack'],
  ['brightRed', 'terminal-ansiBrightRed'],
  ['brightGreen', 'terminal-ansiBrightGreen'],
  ['brightYellow', 'terminal-ansiBrightYellow'],
  ['brightBlue', 'terminal-ansiBrightBlue'],
  ['brightMagenta', 'terminal-ansiBrightMagenta'],
  ['brightCyan', 'terminal-ansiBrightCyan'],
  ['brightWhite', 'terminal-ansiBrightWhite'],
];

/** The terminal's colours from the VS Code theme's CSS variables. */
export function themeFromCss(): ITheme {
  const css = getComputedStyle(document.body);
  const v = (name: string) => css.getPropertyValue(`--vscode-${name}`).trim() || undefined;
  const theme: ITheme = {
    background: v('terminal-background') ?? v('panel-background') ?? v('editor-background'),
    foreground: v('terminal-foreground') ?? v('editor-foreground'),
    cursor: 'transparent',
    cursorAccent: 'transparent',
    selectionBackground: v('terminal-selectionBackground') ?? v('editor-selectionBackground'),
  };
  for (const [key, name] of ANSI) {
    const c = v(name);
    if (c) (theme as Record<string, string>)[key] = c;
  }
  return theme;
}

export class LogView {
  readonly el = h('div', { class: 'logs', role: 'region', 'aria-label': 'Logs' });
  /** Which execution shows ("/build/test · execution e3 · running"), and the pin. */
  private readonly heading = h('div', { class: 'log-heading', 'aria-live': 'polite' });
  private headingKey = '';
  private readonly toolbar = h('div', { class: 'pane-toolbar log-toolbar' });
  private readonly status = h('div', { class: 'log-status', 'aria-live': 'polite' });
  private readonly host = h('div', { class: 'terminal-host' });
  private readonly empty = h('div', { class: 'empty' });
  private term: Terminal | null = null;
  private fit = new FitAddon();
  private search = new SearchAddon();
  private listening = false;
  readonly buffer = new LogBuffer(SCROLLBACK + 1000);
  private frame = 0;
  /** Characters written to the terminal and not parsed yet. */
  private inFlight = 0;
  /** Bumped with each new terminal, so write callbacks of a disposed one are ignored. */
  private generation = 0;
  private searchInput!: HTMLInputElement;
  private matchInfo = h('span', { class: 'match-info' });
  private s!: ViewState;
  private toolbarKey = '';

  constructor(
    private readonly send: (m: WebviewToHost) => void,
    private readonly dispatch: (a: UiAction) => void,
  ) {
    this.el.append(this.heading, this.toolbar, this.status, this.host, this.empty);
    new ResizeObserver(() => this.fitNow()).observe(this.host);
    // Theme changes flip the body's class.
    new MutationObserver(() => {
      if (this.term) this.term.options.theme = themeFromCss();
    }).observe(document.body, { attributes: true, attributeFilter: ['class'] });
  }

  private ensureTerminal(): Terminal {
    if (this.term) return this.term;
    const css = getComputedStyle(document.body);
    const term = new Terminal({
      convertEol: true,
      disableStdin: true,
      scrollback: SCROLLBACK,
      fontFamily: css.getPropertyValue('--vscode-editor-font-family').trim() || 'monospace',
      fontSize: parseInt(css.getPropertyValue('--vscode-editor-font-size'), 10) || 13,
      theme: themeFromCss(),
      allowProposedApi: true,
      cursorStyle: 'bar',
      cursorInactiveStyle: 'none',
      screenReaderMode: false,
    });
    // Addons belong to one terminal (disposed with it): fresh ones for each.
    this.fit = new FitAddon();
    this.search = new SearchAddon();
    term.loadAddon(this.fit);
    term.loadAddon(this.search);
    term.open(this.host);
    if (!this.listening) {
      this.listening = true;
      // Scrolling up stops following; back at the bottom follows again (as VS Code's terminal).
      this.host.addEventListener('wheel', () => requestAnimationFrame(() => this.followFromScroll()), { passive: true });
      this.host.addEventListener('keydown', () => requestAnimationFrame(() => this.followFromScroll()));
    }
    this.term = term;
    this.fitNow();
    return term;
  }

  private followFromScroll(): void {
    const b = this.term?.buffer.active;
    if (!b) return;
    const atBottom = b.viewportY >= b.baseY;
    if (atBottom !== this.s.follow) this.dispatch({ type: 'follow', on: atBottom });
  }

  private fitNow(): void {
    if (!this.term || !this.host.clientWidth || !this.host.clientHeight) return;
    try {
      this.fit.fit();
    } catch {
      // not laid out yet
    }
  }

  /** The host sent log text: buffer it and write at the next frame. */
  onLog(m: Extract<HostToWebview, { type: 'log' }>): void {
    if (!this.buffer.accept(m)) return;
    this.scheduleWrite();
    this.renderStatus();
  }

  private scheduleWrite(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      const reset = this.buffer.resetPending;
      // Parsing is behind: the write callbacks ask for the next frame.
      if (!reset && this.inFlight >= MAX_IN_FLIGHT) return;
      const drain = this.buffer.take(reset ? MAX_IN_FLIGHT : MAX_IN_FLIGHT - this.inFlight);
      if (!drain) return;
      // A new log starts in a new terminal: reset() on one whose earlier writes are still being
      // parsed could leave it blank (seen in CI: a rerun's log did not show).
      if (drain.reset) {
        this.term?.dispose();
        this.term = null;
        this.inFlight = 0;
        this.generation++;
      }
      const term = this.ensureTerminal();
      const gen = this.generation;
      const parts = pieces(drain.text, WRITE_CHARS);
      parts.forEach((part, i) => {
        this.inFlight += part.length;
        term.write(part, () => {
          if (gen !== this.generation) return;
          this.inFlight -= part.length;
          if (i < parts.length - 1) return;
          // xterm pauses painting while hidden and may miss rows written as it shows again:
          // repaint what is on screen (one refresh a frame at most).
          term.refresh(0, term.rows - 1);
          if (this.s.follow) term.scrollToBottom();
          if (this.buffer.hasPending) this.scheduleWrite();
        });
      });
    });
  }

  /** Keeps the subscription's buffer in step with the state (a new subscription clears it). */
  render(s: ViewState): void {
    this.s = s;
    const sub = s.logSub;
    if ((sub?.execution ?? null) !== this.buffer.execution || (sub && sub.stream !== this.buffer.stream) || (sub && sub.tailBytes !== this.lastTail)) {
      this.buffer.subscribe(sub?.execution ?? null, sub?.stream ?? 'combined');
      this.lastTail = sub?.tailBytes ?? 0;
      this.scheduleWrite();
    }
    const cur = currentExecution(s);
    const node = s.selected ? s.index.get(s.selected) : undefined;
    this.empty.textContent = !node ? 'Select a node.' : node.type !== 'Exec' ? 'Logs belong to Exec nodes: select one in the tree.' : !cur ? 'This node has not run yet.' : '';
    this.empty.hidden = !!cur;
    this.host.hidden = !cur;
    const key = `${s.selected}|${node?.executions.map((e) => e.id + (e.endedAt ?? '')).join(',')}|${cur?.id}|${s.stream}|${s.follow}`;
    if (key !== this.toolbarKey) {
      this.toolbarKey = key;
      this.renderToolbar(s, cur);
    }
    this.renderHeading(s);
    this.renderStatus();
    const visible = !!cur && s.tab === 'logs';
    if (visible) {
      const term = this.ensureTerminal();
      const shownNow = !this.wasVisible;
      requestAnimationFrame(() => {
        this.fitNow();
        // Rows written while the view was hidden are not always painted when it shows again.
        if (shownNow) term.refresh(0, term.rows - 1);
        if (this.s.follow) term.scrollToBottom();
      });
    }
    this.wasVisible = visible;
  }

  private wasVisible = false;

  private renderHeading(s: ViewState): void {
    const head = logHeading(s);
    const key = head ? `${head.text}|${head.pinned}` : '';
    if (key === this.headingKey) return;
    this.headingKey = key;
    const hadFocus = this.heading.contains(document.activeElement);
    clear(this.heading);
    this.heading.hidden = !head;
    if (!head) return;
    const text = h('span', { class: `log-heading-text${head.older ? ' older' : ''}` }, head.text);
    const pin = iconButton(
      head.pinned ? 'pinned' : 'pin',
      head.pinned ? 'Pinned: this execution stays shown when the node runs again (click to follow the latest)' : 'Pin this execution (otherwise a new execution of the node shows as it starts)',
      () => this.dispatch({ type: 'pin', on: !head.pinned }),
      { pressed: head.pinned },
    );
    pin.classList.add('pin-execution');
    this.heading.append(text, pin);
    if (hadFocus) pin.focus();
  }

  private lastTail = 0;

  private renderToolbar(s: ViewState, cur: { path: string; id: string } | null): void {
    const hadFocus = this.toolbar.contains(document.activeElement) ? (document.activeElement as HTMLElement).dataset.focus : undefined;
    const query = this.searchInput?.value ?? '';
    clear(this.toolbar);
    const node = s.selected ? s.index.get(s.selected) : undefined;
    if (!node || !cur) return;
    const select = h('select', { class: 'exec-select', 'aria-label': 'Execution', 'data-focus': 'exec' }) as HTMLSelectElement;
    node.executions.forEach((e, i) => {
      const opt = h('option', { value: e.id }, `#${i + 1} ${formatTime(e.startedAt)} · ${outcome(e)}`);
      if (e.id === cur.id) opt.selected = true;
      select.append(opt);
    });
    select.addEventListener('change', () => {
      const last = node.executions[node.executions.length - 1];
      this.dispatch({ type: 'execution', id: select.value === last?.id ? null : select.value });
    });
    const stream = h('select', { class: 'stream-select', 'aria-label': 'Output stream', 'data-focus': 'stream' }, h('option', { value: 'combined' }, 'stdout + stderr'), h('option', { value: 'stderr' }, 'stderr only')) as HTMLSelectElement;
    stream.value = s.stream;
    stream.addEventListener('change', () => this.dispatch({ type: 'stream', stream: stream.value === 'stderr' ? 'stderr' : 'combined' }));
    this.searchInput = h('input', { type: 'search', class: 'log-search', placeholder: 'Find', 'aria-label': 'Find in log', 'data-focus': 'find' }) as HTMLInputElement;
    this.searchInput.value = query;
    // The match is selected (no decorations); the count comes from a scan of the buffer.
    const opts = { caseSensitive: false, incremental: false };
    const find = (back: boolean, incremental = false) => {
      const q = this.searchInput.value;
      if (!q) {
        this.term?.clearSelection();
        this.matchInfo.textContent = '';
        return;
      }
      if (back) this.search.findPrevious(q, opts);
      else this.search.findNext(q, { ...opts, incremental });
      this.updateMatchInfo(q);
    };
    this.searchInput.addEventListener('input', () => find(false, true));
    this.searchInput.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        find(e.shiftKey);
        e.preventDefault();
      } else if (e.key === 'Escape') {
        this.searchInput.value = '';
        find(false);
      }
    });
    const follow = iconButton('fold-down', s.follow ? 'Following the end (click to stop)' : 'Follow the end', () => this.dispatch({ type: 'follow', on: !s.follow }), { pressed: s.follow });
    follow.dataset.focus = 'follow';
    this.toolbar.append(
      select,
      stream,
      h('div', { class: 'search-box' }, icon('search'), this.searchInput, this.matchInfo),
      iconButton('arrow-up', 'Previous match (Shift+Enter)', () => find(true)),
      iconButton('arrow-down', 'Next match (Enter)', () => find(false)),
      follow,
      iconButton('go-to-file', 'Open the whole log in an editor', () => this.send({ type: 'openLog', path: cur.path, execution: cur.id, stream: s.stream })),
    );
    if (hadFocus) (this.toolbar.querySelector(`[data-focus="${hadFocus}"]`) as HTMLElement | null)?.focus();
  }

  /** "3 of 12": matches in the terminal's buffer, and which one is selected. */
  private updateMatchInfo(q: string): void {
    const term = this.term;
    if (!term) return;
    const b = term.buffer.active;
    const matches = findAll(b.length, (i) => b.getLine(i)?.translateToString(true) ?? '', q);
    const sel = term.getSelectionPosition();
    const at = sel ? matches.findIndex(([row, col]) => row === sel.start.y && col === sel.start.x) : -1;
    this.matchInfo.textContent = matches.length ? `${at >= 0 ? at + 1 : '?'} of ${matches.length >= 10_000 ? '10000+' : matches.length}` : 'No results';
  }

  private renderStatus(): void {
    clear(this.status);
    const b = this.buffer;
    if (!b.execution) return;
    const parts: (Node | string)[] = [];
    parts.push(b.done ? 'complete' : h('span', {}, icon('circle-filled', 'live-dot'), ' live'));
    parts.push(` · ${formatBytes(b.size)}`);
    if (b.lines > SCROLLBACK) parts.push(` · ${b.lines.toLocaleString()} lines (the view keeps the last ${SCROLLBACK.toLocaleString()})`);
    this.status.append(...parts);
    if (b.leftOut > 0) {
      // The host reads at most MAX_TAIL_BYTES for the view; beyond, the whole file opens in an editor.
      const sub = this.s.logSub;
      const atCap = !!sub && sub.tailBytes >= MAX_TAIL_BYTES;
      const more = h('a', { href: '#', class: 'link' }, `${atCap ? 'Open the whole log' : 'Load earlier'} (${formatBytes(b.leftOut)} not shown)`);
      more.addEventListener('click', (e) => {
        e.preventDefault();
        if (atCap) this.send({ type: 'openLog', path: sub.path, execution: sub.execution, stream: sub.stream });
        else this.dispatch({ type: 'loadMore' });
      });
      this.status.append(' · ', more);
    }
  }
}
