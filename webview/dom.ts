// A few DOM helpers: elements with attributes, listeners and children in one call; codicons.

type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs, ...children: Child[]): HTMLElementTagNameMap[K];
export function h(tag: string, attrs?: Attrs, ...children: Child[]): HTMLElement;
export function h(tag: string, attrs: Attrs = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (k === 'class') el.className = String(v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: Child[]): void {
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
}

export function icon(name: string, extra = ''): HTMLSpanElement {
  const el = document.createElement('span');
  el.className = `codicon codicon-${name}${extra ? ` ${extra}` : ''}`;
  el.setAttribute('aria-hidden', 'true');
  return el;
}

export function clear(el: Element): void {
  el.replaceChildren();
}

/** A vscode-elements button: `icon` a codicon name, `secondary` for the quieter look. */
export function button(label: string, opts: { icon?: string; secondary?: boolean; title?: string; disabled?: boolean; onClick: () => void }): HTMLElement {
  const b = document.createElement('vscode-button');
  if (opts.icon) b.setAttribute('icon', opts.icon);
  if (opts.secondary) b.setAttribute('secondary', '');
  if (opts.title) b.title = opts.title;
  if (opts.disabled) b.setAttribute('disabled', '');
  b.textContent = label;
  b.addEventListener('click', () => {
    if (!b.hasAttribute('disabled')) opts.onClick();
  });
  return b;
}

/** A toolbar icon button (no label; the title is its accessible name). */
export function iconButton(name: string, title: string, onClick: (e: MouseEvent) => void, opts: { pressed?: boolean; disabled?: boolean } = {}): HTMLButtonElement {
  const b = h('button', { class: `icon-button${opts.pressed ? ' pressed' : ''}`, title, 'aria-label': title, type: 'button' }, icon(name));
  if (opts.pressed !== undefined) b.setAttribute('aria-pressed', String(opts.pressed));
  if (opts.disabled) b.disabled = true;
  b.addEventListener('click', onClick);
  return b;
}

/** The state colour class of a node state. */
export function stateClass(state: string): string {
  return `state-${state}`;
}
