// Exec nodes' executions left in a checkpoint until first asked for: a block of nodes is read
// together (a node opened in the sidebar or panel, a failed node's reason), the rest stay on disk.
import type { RunNode, RunTree, StoredExecutions } from '../model/runTree';
import { BLOCK, type CheckpointReader } from '../store/checkpointFile';

// A reopened tree that is let go of closes its checkpoint.
const openFiles = new FinalizationRegistry<CheckpointReader>((reader) => reader.close());

/** Where each of the tree's Exec nodes (index in tree order) finds its executions. */
export function executionsFrom(reader: CheckpointReader, tree: RunTree): (index: number, leaf: RunNode) => StoredExecutions {
  const blocks: CheckpointBlock[] = [];
  let unread = 0;
  const done = () => {
    if (--unread === 0) {
      reader.close();
      openFiles.unregister(tree);
    }
  };
  openFiles.register(tree, reader, tree);
  return (index, leaf) => {
    const b = Math.floor(index / BLOCK);
    let block = blocks[b];
    if (!block) {
      block = blocks[b] = new CheckpointBlock(reader, b, done);
      unread++;
    }
    block.leaves.push(leaf);
    return block;
  };
}

class CheckpointBlock implements StoredExecutions {
  readonly leaves: RunNode[] = [];
  private read = false;

  constructor(
    private readonly reader: CheckpointReader,
    private readonly index: number,
    private readonly done: () => void,
  ) {}

  load(): void {
    if (this.read) return;
    const records = this.reader.block(this.index);
    this.read = true;
    this.leaves.forEach((leaf, i) => {
      const own = records[i] ?? [];
      for (const record of own) record.path ??= leaf.path;
      leaf.executions = own;
    });
    this.leaves.length = 0;
    this.done();
  }
}
