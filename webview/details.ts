// Node details: state, times, effective params with where each comes from, and the param editor
// (checked as you type; Apply, or Apply & Run to reset the node with the new values).
import type { ParamName } from '../protocol/pipeline';
import type { NodeDetails, WebviewToHost } from '../protocol/webviewMessages';
import { button, clear, h, icon, stateClass } from './dom';
import { formatBytes, formatDateTime, formatDuration, outcome, STATE_ICON, STATE_LETTER } from './format';
import type { TimelineModel } from './timelineModel';
import type { UiAction, ViewState } from './state';
import { formFromDetails, hasErrors, validateForm, type FormField, type FormResult, type ParamForm } from './validate';

interface FieldSpec {
  field: Exclude<FormField, 'command' | 'env' | 'skip'>;
  label: string;
  unit: string;
  hint: string;
}

const NUMERIC_FIELDS: FieldSpec[] = [
  { field: 'cpu', label: 'cpu', unit: 'cores', hint: 'Cores the node may use (fractions allowed)' },
  { field: 'mem', label: 'mem', unit: 'GB', hint: 'Memory limit in GB' },
  { field: 'gpu', label: 'gpu', unit: '', hint: 'GPUs (whole number)' },
  { field: 'max_time', label: 'max_time', unit: 's', hint: 'Time limit: seconds, or 30m, 2h' },
  { field: 'image', label: 'image', unit: '', hint: 'Image name; empty: the default image' },
];

const READONLY_PARAMS: ParamName[] = ['requires_docker', 'container_reuse_context', 'suppress_errors', 'stop_on_error', 'max_concurrent'];

export class DetailsView {
  readonly el = h('div', { class: 'details', role: 'region', 'aria-label': 'Node details' });
  private readonly info = h('div', { class: 'details-info' });
  private readonly editorEl = h('section', { class: 'editor', 'aria-label': 'Parameters' });
  private form: ParamForm | null = null;
  private base: NodeDetails | null = null;
  private applying = false;
  private result: FormResult | null = null;
  private inputs = new Map<FormField, HTMLElement & { value?: string; checked?: boolean; invalid?: boolean }>();
  private errorEls = new Map<FormField, HTMLElement>();
  private footer = h('div', { class: 'editor-footer' });

  constructor(
    private readonly send: (m: WebviewToHost) => void,
    private readonly dispatch: (a: UiAction) => void,
    private readonly timeline: TimelineModel,
  ) {
    this.el.append(this.info, this.editorEl);
  }

  /** The host refused a change: keep what the user typed. */
  failed(): void {
    this.applying = false;
  }

  render(s: ViewState): void {
    const node = s.selected ? s.index.get(s.selected) : undefined;
    const d = s.details;
    clear(this.info);
    if (!node) {
      this.info.append(h('p', { class: 'empty' }, 'Select a node.'));
      clear(this.editorEl);
      return;
    }
    this.renderInfo(s, d);
    if (!d || d.path !== node.path) {
      if (this.base?.path !== node.path) clear(this.editorEl);
      return;
    }
    const samePath = this.base?.path === d.path;
    const userEdits = samePath && this.form && this.base && validateForm(this.form, this.base).dirty.length > 0;
    const typing = this.editorEl.contains(document.activeElement);
    if (!samePath || this.applying || !userEdits) {
      this.base = d;
      this.form = formFromDetails(d);
      this.applying = false;
      if (!samePath || !typing) this.buildEditor(s, d);
      else this.syncInputs();
    } else {
      this.base = d; // keep the user's values, judge them against the new node
    }
    this.revalidate();
  }

  private renderInfo(s: ViewState, d: NodeDetails | null): void {
    const node = s.index.get(s.selected!)!;
    const skippedBy = s.index.skippedBy(node.path);
    const isExec = node.type === 'Exec';
    const path = node.path;
    const active = node.counts.running + node.counts.queued > 0;
    this.info.append(
      h(
        'div',
        { class: 'details-title' },
        skippedBy ? icon('debug-step-over', 'state-icon state-skipped') : icon(STATE_ICON[node.state], `state-icon ${stateClass(node.state)}`),
        h('span', { class: 'path' }, path),
        h('span', { class: 'pill' }, node.type),
        h('span', { class: `pill ${stateClass(node.state)}` }, node.state),
        skippedBy ? h('span', { class: 'pill state-skipped' }, skippedBy === path ? 'skipped' : `skipped by ${skippedBy}`) : null,
      ),
      h(
        'div',
        { class: 'details-actions', role: 'toolbar', 'aria-label': 'Node actions' },
        button(isExec ? 'Run / Reset' : 'Reset', { icon: 'debug-restart', title: 'Run this node again (earlier runs stay in the history)', onClick: () => this.send({ type: 'reset', path }) }),
        node.skipped
          ? button('Unskip', { icon: 'debug-step-back', secondary: true, onClick: () => this.send({ type: 'skip', path, skipped: false }) })
          : button('Skip', { icon: 'debug-step-over', secondary: true, title: 'Leave this node out of runs', onClick: () => this.send({ type: 'skip', path, skipped: true }) }),
        active ? button('Kill', { icon: 'debug-stop', secondary: true, onClick: () => this.send({ type: 'kill', path }) }) : null,
        isExec && node.executions.length ? button('Logs', { icon: 'output', secondary: true, onClick: () => this.dispatch({ type: 'tab', tab: 'logs' }) }) : null,
        isExec && node.state === 'running' ? button('Open Shell', { icon: 'terminal', secondary: true, title: "A terminal inside the node's running container", onClick: () => this.send({ type: 'terminal', path, kind: 'shell' }) }) : null,
        isExec && node.executions.length ? button('Debug', { icon: 'debug', secondary: true, title: "A terminal in a fresh container with the node's image, env and mounts, its command in /tmp/pipewright-debug.sh", onClick: () => this.send({ type: 'terminal', path, kind: 'debug' }) }) : null,
        button('Definition', { icon: 'go-to-file', secondary: true, title: 'Go to where the node is defined', onClick: () => this.send({ type: 'openSource', path }) }),
      ),
    );
    const facts = h('dl', { class: 'facts' });
    const fact = (k: string, v: Node | string) => facts.append(h('dt', {}, k), h('dd', {}, v));
    if (isExec) {
      const last = node.executions[node.executions.length - 1];
      const full = d?.executions.find((e) => e.id === last?.id);
      if (last) {
        fact('last run', `${formatDateTime(last.startedAt)}${last.endedAt ? ` → ${formatDateTime(last.endedAt).slice(11)}` : ''}`);
        fact('took', `${formatDuration((last.endedAt ?? Date.now()) - last.startedAt)}${last.endedAt ? '' : ' so far'}`);
        fact('result', h('span', { class: stateClass(last.endedAt === undefined ? 'running' : node.state) }, `${outcome(last)}${full?.message ? ` — ${full.message}` : ''}`));
        fact('peak memory', formatBytes(last.peakMemoryBytes));
        if (full?.image) fact('image', full.image);
        if (full?.ranOn) fact('ran on', full.ranOn);
        if (full?.cpuClamped !== undefined) fact('cpu', `clamped to ${full.cpuClamped} (the machine has fewer cores than asked)`);
        fact('runs', String(node.executions.length));
      } else fact('last run', 'not run yet');
    } else {
      const rounds = this.timeline.rounds(path, Date.now());
      const last = rounds[rounds.length - 1];
      const leaves = s.index.leaves(path);
      const skipped = leaves.filter((l) => s.index.skippedBy(l.path)).length;
      // A large run's panel holds some of them (a page of children at a time): the counts are all.
      const total = Object.values(node.counts).reduce((a, b) => a + b, 0);
      const held = leaves.length < total ? ` · ${leaves.length} of them shown` : '';
      fact('exec nodes', `${total}${skipped ? ` (${skipped} skipped)` : ''}${held}`);
      fact(
        'states',
        (['pending', 'queued', 'running', 'done', 'error', 'killed'] as const)
          .map((st) => `${STATE_LETTER[st]}${node.counts[st]}`)
          .join(' '),
      );
      if (last) {
        fact('last run', `${formatDateTime(last.start)} · ${formatDuration(last.end - last.start)}${last.running ? ' so far' : ''}`);
        fact('ran', `${last.leaves} of ${leaves.length} exec nodes${held ? ' shown' : ''}${rounds.length > 1 ? ` · ${rounds.length} runs in all (see Timeline)` : ''}`);
      }
    }
    if (d?.parents.length) fact('after', d.parents.join(', '));
    if (d) fact('defined at', `${d.source.file.split('/').pop()}:${d.source.line}`);
    this.info.append(facts);
  }

  private origin(name: ParamName): HTMLElement {
    const d = this.base!;
    const o = d.origins[name] ?? 'default';
    if (o === d.path) return h('span', { class: 'origin own', title: 'Set on this node' }, 'set here');
    if (o === 'default') return h('span', { class: 'origin', title: 'Not set anywhere above: the default' }, 'default');
    const link = h('a', { class: 'link', href: '#', title: `Inherited from ${o}: select it` }, o === '/' ? 'the root' : o);
    link.addEventListener('click', (e) => {
      e.preventDefault();
      this.dispatch({ type: 'select', path: o });
    });
    return h('span', { class: 'origin' }, 'from ', link);
  }

  private buildEditor(s: ViewState, d: NodeDetails): void {
    clear(this.editorEl);
    this.inputs.clear();
    this.errorEls.clear();
    const form = this.form!;
    this.editorEl.append(h('h3', {}, 'Parameters'));
    const grid = h('div', { class: 'param-grid', role: 'group' });
    const addRow = (field: FormField, label: string, input: HTMLElement, origin: HTMLElement | null, hint: string) => {
      const id = `param-${field}`;
      input.id = id;
      input.setAttribute('aria-describedby', `${id}-error`);
      const err = h('div', { class: 'field-error', id: `${id}-error`, role: 'alert' });
      this.errorEls.set(field, err);
      grid.append(h('label', { class: 'param-label', for: id, title: hint }, label), h('div', { class: 'param-input' }, input, err), h('div', { class: 'param-origin' }, origin));
    };
    if (d.type === 'Exec') {
      const ta = this.textarea('command', form.command, 3);
      addRow('command', 'command', ta, null, 'The shell command the node runs');
    }
    for (const f of NUMERIC_FIELDS) {
      const tf = document.createElement('vscode-textfield') as HTMLElement & { value: string };
      tf.setAttribute('value', form[f.field]);
      tf.value = form[f.field];
      if (f.unit) tf.setAttribute('placeholder', f.unit);
      tf.addEventListener('input', () => this.edit(f.field, tf.value));
      this.inputs.set(f.field, tf);
      addRow(f.field, f.label + (f.unit ? ` (${f.unit})` : ''), tf, this.origin(f.field as ParamName), f.hint);
    }
    const env = this.textarea('env', form.env, Math.min(8, Math.max(2, form.env.split('\n').length + 1)));
    env.setAttribute('placeholder', 'KEY=value, one a line');
    const envOrigins = h('div', { class: 'env-origins' });
    for (const [k, o] of Object.entries(d.envOrigins)) envOrigins.append(h('div', {}, h('code', {}, k), ' ', o === d.path ? 'set here' : o === 'default' ? 'default' : `from ${o === '/' ? 'the root' : o}`));
    addRow('env', 'env', env, h('div', {}, this.origin('env'), envOrigins), 'Environment variables (merged with the inherited ones)');
    const skip = document.createElement('vscode-checkbox') as HTMLElement & { checked: boolean };
    skip.setAttribute('label', 'skip this node');
    if (form.skip) skip.setAttribute('checked', '');
    skip.addEventListener('change', () => this.edit('skip', skip.checked));
    this.inputs.set('skip', skip);
    addRow('skip', 'skip', skip, this.origin('skip'), 'A skipped node counts as done and does not run');
    this.editorEl.append(grid, this.footer);
    const ro = h('dl', { class: 'facts readonly-params' });
    for (const name of READONLY_PARAMS) {
      const v = d.params[name];
      ro.append(h('dt', {}, name), h('dd', {}, v === null ? '–' : String(v), ' ', this.origin(name)));
    }
    this.editorEl.append(h('details', { class: 'more-params' }, h('summary', {}, 'Other params'), ro));
    void s;
  }

  private textarea(field: FormField, value: string, rows: number): HTMLElement {
    const ta = document.createElement('vscode-textarea') as HTMLElement & { value: string };
    ta.setAttribute('monospace', '');
    ta.setAttribute('rows', String(rows));
    ta.setAttribute('resize', 'vertical');
    ta.value = value;
    ta.addEventListener('input', () => this.edit(field, ta.value));
    this.inputs.set(field, ta);
    return ta;
  }

  private syncInputs(): void {
    for (const [field, el] of this.inputs) {
      if (field === 'skip') el.checked = this.form!.skip;
      else el.value = this.form![field];
    }
  }

  private edit(field: FormField, value: string | boolean): void {
    if (!this.form) return;
    (this.form as unknown as Record<string, unknown>)[field] = value;
    this.revalidate();
  }

  private revalidate(): void {
    if (!this.form || !this.base) return;
    const r = (this.result = validateForm(this.form, this.base));
    for (const [field, el] of this.errorEls) {
      const msg = r.errors[field] ?? '';
      el.textContent = msg;
      const input = this.inputs.get(field);
      if (input) {
        input.invalid = !!msg;
        input.classList.toggle('dirty', r.dirty.includes(field));
      }
    }
    clear(this.footer);
    const nothing = r.dirty.length === 0;
    const bad = hasErrors(r);
    const path = this.base.path;
    this.footer.append(
      button('Apply & Run', { icon: 'debug-restart', title: 'Change the params, then reset the node so it runs with them', disabled: nothing || bad, onClick: () => this.apply(path, true) }),
      button('Apply', { secondary: true, title: 'Change the params; they take effect the next time the node runs', disabled: nothing || bad, onClick: () => this.apply(path, false) }),
      button('Discard', { secondary: true, disabled: nothing, onClick: () => this.discard() }),
      h('span', { class: 'subtle' }, bad ? 'Fix the marked values to apply.' : nothing ? '' : `Changed: ${r.dirty.join(', ')}`),
    );
  }

  private apply(path: string, thenReset: boolean): void {
    const r = this.result;
    if (!r || hasErrors(r) || !r.dirty.length) return;
    this.applying = true;
    this.send({ type: 'modify', path, changes: r.changes, thenReset });
  }

  private discard(): void {
    if (!this.base) return;
    this.form = formFromDetails(this.base);
    this.syncInputs();
    this.revalidate();
  }
}
