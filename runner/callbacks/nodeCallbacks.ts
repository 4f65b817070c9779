// Conducto's node callbacks (node.on_error(co.callback.retry(3)), ...; its callback.py), carried
// out when a node enters a state. Those with a meaning on one machine are done for real: retry,
// retry_then_skip, retry_with_double_mem, handle_memory_errors, skip_some_errors. Those that need
// an outside service (email, Slack, GitHub) say they are not configured; nothing fails for them.
//
// A Serial or Parallel passes through passing states as its children move on (`pending` for a
// moment between two children, `error` before the next child of a stop_on_error=False Serial
// starts): its state is looked at when the run has started what comes next (`flush`), and its
// callbacks fire when it then differs from the last one seen. An Exec node's states are real,
// each of them (queued then running in the same moment): its callbacks fire for every one.
import type { CallbackEvent, NodeCallback } from '../../protocol/pipeline';
import type { NodeState } from '../../protocol/runner';
import type { RunNode, RunTree } from '../model/runTree';

/** What the callbacks do to the run. */
export interface CallbackHost {
  readonly tree: RunTree;
  /** Said in the run's events (and on the CLI's stderr), about the node. */
  notice(path: string, message: string): void;
  reset(path: string): void;
  skip(path: string): void;
  setMem(path: string, mem: number): void;
  /** GB a node may ask for at most (the machine's memory). */
  maxMem(): number;
  /** False while the run is closing or falling asleep: callbacks then change nothing. */
  acting(): boolean;
}

const SERVICES: Record<string, string> = {
  email: 'email',
  slack_status: 'Slack',
  github_status: 'GitHub status',
  github_pipeline_status: 'GitHub status',
};

export class NodeCallbacks {
  private readonly changed = new Set<RunNode>();
  /** Exec nodes' states in the order they entered them. */
  private readonly leafStates: [RunNode, NodeState][] = [];
  private readonly lastSeen = new Map<RunNode, NodeState>();
  /** Retries used, by node path and callback (its owner's path and index). */
  private readonly used = new Map<string, number>();
  /** While callbacks act, the run is not settled (their resets and skips start more). */
  flushing = false;

  constructor(private readonly host: CallbackHost) {}

  /** Whether any node of the tree has callbacks (else the run need not watch states). */
  static applies(tree: RunTree): boolean {
    for (const node of tree.byPath.values()) if (node.spec.callbacks?.length) return true;
    return false;
  }

  /** A node's state changed (maybe only for a moment). */
  stateChanged(node: RunNode, state: NodeState): void {
    if (node.isLeaf) this.leafStates.push([node, state]);
    else this.changed.add(node);
  }

  /** Fires the callbacks of nodes whose state settled on a new one. Actions may change more. */
  flush(): void {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.changed.size || this.leafStates.length) {
        const entered = this.leafStates.splice(0);
        const nodes = [...this.changed];
        this.changed.clear();
        for (const [leaf, state] of entered) this.entered(leaf, state);
        for (const node of nodes) this.entered(node, node.state);
      }
    } finally {
      this.flushing = false;
    }
  }

  private entered(node: RunNode, state: NodeState): void {
    if (state === (this.lastSeen.get(node) ?? 'pending')) return;
    this.lastSeen.set(node, state);
    if (state !== 'pending') this.fire(node, state);
  }

  private fire(node: RunNode, state: NodeState): void {
    for (const { callback, owner } of this.callbacksFor(node)) {
      if (callback.event !== state && callback.event !== 'state_change') continue;
      // Retries are counted per node: an inherited retry(2) gives each node below two.
      this.run(node, state, callback, `${node.path}\n${owner.path}#${owner.spec.callbacks!.indexOf(callback)}`);
    }
  }

  /** The node's own callbacks, then those of its ancestors given with inherited=True. */
  private callbacksFor(node: RunNode): { callback: NodeCallback; owner: RunNode }[] {
    const found: { callback: NodeCallback; owner: RunNode }[] = [];
    for (let at: RunNode | null = node; at; at = at.parent) {
      for (const callback of at.spec.callbacks ?? []) if (at === node || callback.args.inherited === true) found.push({ callback, owner: at });
    }
    return found;
  }

  private run(node: RunNode, state: NodeState, cb: NodeCallback, id: string): void {
    const say = (message: string) => this.host.notice(node.path, `${describe(cb, state)}: ${message}`);
    const count = (name: string) => {
      const n = cb.args[name];
      return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : 0;
    };
    const changes = ['retry', 'retry_then_skip', 'retry_with_double_mem', 'handle_memory_errors', 'skip_some_errors'].includes(cb.name);
    if (changes && !this.host.acting()) return say('the pipeline is stopping: nothing done');
    switch (cb.name) {
      case 'retry':
      case 'retry_then_skip':
      case 'retry_with_double_mem': {
        if (!this.failed(state)) return say(`the node is ${state}: nothing to retry`);
        const max = count('max_num_retries');
        const used = this.used.get(id) ?? 0;
        if (used >= max) {
          if (cb.name !== 'retry_then_skip') return say(`no retries left (${max} used)`);
          say(`no retries left (${max} used): skipped`);
          return this.host.skip(node.path);
        }
        this.used.set(id, used + 1);
        if (cb.name === 'retry_with_double_mem') {
          // The Exec nodes that failed get twice their memory (a Serial's own mem may not reach them).
          const doubled = this.failedLeaves(node).map((leaf) => {
            const mem = Math.min(leaf.params.mem * 2, this.host.maxMem());
            this.host.setMem(leaf.path, mem);
            return leaf === node ? `mem=${mem} GB` : `${leaf.path} mem=${mem} GB`;
          });
          say(`retry ${used + 1} of ${max} with ${doubled.join(', ')}`);
        } else {
          say(`retry ${used + 1} of ${max}`);
        }
        return this.host.reset(node.path);
      }
      case 'handle_memory_errors':
        return this.handleMemoryErrors(node, state, cb, id, say);
      case 'skip_some_errors': {
        if (!this.failed(state)) return say(`the node is ${state}: no errors to skip`);
        const failed = this.failedLeaves(node);
        const max = count('max_num_errors');
        if (failed.length > max) return say(`${failed.length} Exec nodes failed, more than ${max}: not skipped`);
        say(`skipping ${failed.length} failed Exec node${failed.length === 1 ? '' : 's'}: ${failed.map((l) => l.path).join(', ')}`);
        for (const leaf of failed) this.host.skip(leaf.path);
        return;
      }
      case 'deserialize_into_node':
        return say('a Conducto-internal callback: nothing to do here');
      default: {
        const service = SERVICES[cb.name];
        if (service) return say(`${service} is not configured (Pipewright has no Conducto service to send it through): not sent${recipient(cb)}`);
        return say('unknown callback: ignored');
      }
    }
  }

  /**
   * Conducto's rules: only after an out-of-memory error; never above the upper limit or once a
   * run took max_duration; always below the lower limit; above it, once.
   */
  private handleMemoryErrors(node: RunNode, state: NodeState, cb: NodeCallback, id: string, say: (m: string) => void): void {
    if (!this.failed(state)) return;
    const hungry = this.failedLeaves(node).filter((l) => l.executions.at(-1)?.reason === 'oom');
    if (!hungry.length) return say('not an out-of-memory error: not retried');
    const ooms = hungry.map((l) => l.executions.at(-1));
    const [low, high] = Array.isArray(cb.args.mem_limits) ? (cb.args.mem_limits as number[]) : [8, 32];
    const maxDuration = typeof cb.args.max_duration === 'number' ? cb.args.max_duration : 3600;
    const longest = Math.max(...ooms.map((e) => ((e!.endedAt ?? e!.startedAt) - e!.startedAt) / 1000));
    if (longest >= maxDuration) return say(`it ran ${longest.toFixed(0)}s, not under max_duration=${maxDuration}s: not retried`);
    // Decided by the largest of the Exec nodes that ran out of memory; each gets twice its own.
    const mem = Math.max(...hungry.map((l) => l.params.mem));
    const used = this.used.get(id) ?? 0;
    if (mem >= high! || (mem >= low! && used > 0)) return say(`mem=${mem} GB is at the limits ${low}-${high} GB: not retried`);
    const next = (leaf: RunNode) => Math.min(leaf.params.mem * 2, high!, this.host.maxMem());
    if (hungry.every((l) => next(l) <= l.params.mem)) return say(`no more memory to give (mem=${mem} GB): not retried`);
    this.used.set(id, used + 1);
    const given = hungry.map((leaf) => {
      this.host.setMem(leaf.path, next(leaf));
      return leaf === node ? `mem=${next(leaf)} GB` : `${leaf.path} mem=${next(leaf)} GB`;
    });
    say(`out of memory: retry with ${given.join(', ')}`);
    this.host.reset(node.path);
  }

  /** Exec nodes at or below `node` that failed (and are not skipped). */
  private failedLeaves(node: RunNode): RunNode[] {
    return [...this.host.tree.leaves(node)].filter((l) => (l.state === 'error' || l.state === 'killed') && !l.skipped);
  }

  private failed(state: NodeState): boolean {
    return state === 'error' || state === 'killed';
  }
}

function describe(cb: NodeCallback, state: NodeState): string {
  const on: Record<CallbackEvent, string> = { queued: 'on_queued', running: 'on_running', done: 'on_done', error: 'on_error', killed: 'on_killed', state_change: 'on_state_change' };
  return `co.callback.${cb.name} (${on[cb.event]}${cb.event === 'state_change' ? `, now ${state}` : ''})`;
}

function recipient(cb: NodeCallback): string {
  const to = cb.args.recipient ?? cb.args.to ?? cb.args.url;
  const message = typeof cb.args.message === 'string' ? `: ${JSON.stringify(cb.args.message)}` : '';
  return to ? ` (to ${Array.isArray(to) ? to.join(', ') : String(to)}${message})` : message;
}
