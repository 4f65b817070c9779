// The top bar: instance name and state, P/Q/R/D/E/K, the run toggle, reset and sleep/wake.
import { describeArguments } from '../presentation/arguments';
import { NODE_STATES } from '../protocol/runner';
import type { WebviewToHost } from '../protocol/webviewMessages';
import { button, clear, h, icon, stateClass } from './dom';
import { COUNTS_LEGEND } from '../presentation/format';
import { STATE_ICON, STATE_LETTER } from './format';
import type { ViewState } from './state';

const STATE_TITLES = { pending: 'Pending', queued: 'Queued', running: 'Running', done: 'Done', error: 'Errored', killed: 'Killed' } as const;

export class Header {
  readonly el = h('header', { class: 'header', role: 'toolbar', 'aria-label': 'Pipeline' });

  constructor(private readonly send: (m: WebviewToHost) => void) {}

  private key = '';
  private countEls: HTMLElement | null = null;

  render(s: ViewState): void {
    const run = s.run;
    const key = run ? `${s.live}|${run.status}|${run.autorun}|${run.rootState}|${run.name}|${run.id}|${(run.args ?? []).join('\0')}` : '';
    if (run && key === this.key && this.countEls) {
      this.countEls.replaceWith((this.countEls = this.counts(s)));
      return;
    }
    this.key = key;
    // Keep the keyboard focus on the same control across a rebuild.
    const focusKey = (document.activeElement as HTMLElement | null)?.closest?.('[data-focus]')?.getAttribute('data-focus');
    clear(this.el);
    if (!run) {
      this.el.append(h('span', { class: 'title' }, 'Loading pipeline…'));
      return;
    }
    const sleeping = run.status === 'sleeping';
    const title = h(
      'div',
      { class: 'title-block' },
      h('span', { class: `state-icon ${stateClass(run.rootState)}`, title: run.rootState }, icon(STATE_ICON[run.rootState], run.rootState === 'running' ? 'codicon-modifier-spin' : '')),
      h('span', { class: 'title', title: run.file }, run.name),
      run.args?.length ? h('span', { class: 'args', title: `Arguments: ${run.args.join(' ')}` }, `(${describeArguments(run.args)})`) : null,
      h('span', { class: 'subtle' }, run.id),
      h('span', { class: `pill ${stateClass(run.rootState)}` }, sleeping ? 'sleeping' : run.rootState),
      s.live ? null : h('span', { class: 'pill stored', title: 'Shown from the store. Any control opens it in this window.' }, 'stored'),
    );
    const counts = (this.countEls = this.counts(s));
    const toggle = document.createElement('vscode-checkbox');
    toggle.setAttribute('toggle', '');
    toggle.setAttribute('data-focus', 'run');
    toggle.setAttribute('label', 'Run');
    toggle.title = run.autorun ? 'Running: new nodes start as others finish. Turn off to stop starting nodes.' : 'Turn on to run pending nodes';
    if (run.autorun) toggle.setAttribute('checked', '');
    if (sleeping) toggle.setAttribute('disabled', '');
    toggle.addEventListener('change', () => this.send({ type: 'toggleRun', on: (toggle as unknown as { checked: boolean }).checked }));
    const actions = h(
      'div',
      { class: 'actions' },
      toggle,
      button('Reset', { icon: 'debug-restart', secondary: true, title: 'Run the whole pipeline again (history is kept)', disabled: sleeping, onClick: () => this.send({ type: 'reset', path: '/' }) }),
      sleeping
        ? button('Wake', { icon: 'debug-continue', secondary: true, title: 'Wake the pipeline to continue', onClick: () => this.send({ type: 'wake' }) })
        : button('Sleep', { icon: 'debug-pause', secondary: true, title: 'Stop its containers and keep its state', onClick: () => this.send({ type: 'sleep' }) }),
      button('Rerun', {
        icon: 'debug-rerun',
        secondary: true,
        title: `Rerun with Same Arguments: a new run of ${run.name}${run.args?.length ? `(${describeArguments(run.args)})` : ''}`,
        onClick: () => this.send({ type: 'rerun' }),
      }),
    );
    actions.children[1]?.setAttribute('data-focus', 'reset');
    actions.children[2]?.setAttribute('data-focus', 'sleep');
    actions.children[3]?.setAttribute('data-focus', 'rerun');
    this.el.append(title, counts, actions);
    if (focusKey) (this.el.querySelector(`[data-focus="${focusKey}"]`) as HTMLElement | null)?.focus();
  }

  private counts(s: ViewState): HTMLElement {
    const counts = h('div', { class: 'counts', role: 'group', 'aria-label': 'Exec nodes by state', title: COUNTS_LEGEND });
    for (const st of NODE_STATES) {
      const n = s.run!.counts[st];
      counts.append(h('span', { class: `count ${stateClass(st)}${n ? '' : ' zero'}`, title: `${STATE_TITLES[st]}: ${n}` }, h('b', {}, STATE_LETTER[st]), String(n)));
    }
    return counts;
  }
}
