// Which container a leaf may run in, from `container_reuse_context` as Conducto defines it (its
// shared/constants.py ContainerReuseContext): the nearest node at or above the leaf that sets the
// param decides. "new" there: every Exec it reaches runs in one container of that node's own
// (Conducto sets the container id to that node's id); "global": the pipeline's shared pool; any
// other string: a Pipewright named context (nodes giving the same name share workers).
import type { RunNode } from '../model/runTree';

export const NEW_CONTEXT = 'new';
export const GLOBAL_CONTEXT = 'global';

export interface ReuseContext {
  /** Key of the context (null: the shared pool); part of the worker key. */
  key: string | null;
  /** One container for the whole context, its jobs one at a time, kept until the context ends. */
  pinned: boolean;
  /** The node that opened a "new" context (its end ends the context). */
  owner?: string;
}

export function reuseContextOf(leaf: RunNode): ReuseContext {
  for (let node: RunNode | null = leaf; node; node = node.parent) {
    // Without `set` (hand-written JSON) the effective value on the leaf stands for itself.
    const decides = node.spec.set ? node.spec.set.includes('container_reuse_context') : node === leaf;
    if (!decides) continue;
    const value = node.params.container_reuse_context;
    if (value === null || value === GLOBAL_CONTEXT) return { key: null, pinned: false };
    if (value === NEW_CONTEXT) return { key: `new:${node.path}`, pinned: true, owner: node.path };
    return { key: `named:${value}`, pinned: false };
  }
  return { key: null, pinned: false };
}

/** Pinned contexts with a container, by the node that opened them, until that node ends. */
export class OpenContexts {
  private readonly open = new Map<string, string>();

  /** A leaf of the context starts. */
  started(leaf: RunNode): void {
    const context = reuseContextOf(leaf);
    if (context.pinned && context.owner && context.key) this.open.set(context.owner, context.key);
  }

  /**
   * Contexts whose node has ended (done, error or killed): nothing more runs in them until a
   * reset. Asked once the scheduler has started what comes next, since a Serial passes through
   * other states between two children.
   */
  takeEnded(stateOf: (path: string) => string | undefined): string[] {
    const ended: string[] = [];
    for (const [owner, key] of this.open) {
      const state = stateOf(owner);
      if (state === undefined || state === 'done' || state === 'error' || state === 'killed') {
        ended.push(key);
        this.open.delete(owner);
      }
    }
    return ended;
  }
}
