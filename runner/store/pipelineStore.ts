import { createHash } from 'node:crypto';
import { existsSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import type { PipelineDocument, PipelineNode } from '../../protocol/pipeline';
import { readPipelineFile } from '../../evaluator/readPipeline';
import type { PipelineStatus, PipelineSummary, RunnerEvent } from '../../protocol/runner';
import { EventLog, readEventBatches, readEventLog } from './eventLog';
import { newPipelineName } from './pipelineNames';
import { readMeta, type PipelineMeta } from './pipelineMeta';
import { PipelineSpace } from './pipelineSpace';
import { makePrivateDir, writeAll, writePrivateFileAtomic } from './privateFiles';
import { ProcessLock } from './processLock';
import { readJsonFile, StoreFileError } from './storeFileError';
import { makeStoreFolder } from './storeFolder';
import { defaultStoreRoot } from './storeLocation';

export { EventLog } from './eventLog';
export type { PipelineMeta } from './pipelineMeta';

/** Which process runs a pipeline now: information for messages (the lock decides). */
export interface OwnerInfo {
  pid: number;
  startedAt: number;
}

/** The live process that runs a pipeline; its pid is null while it has not yet said who it is. */
export interface LiveOwner {
  pid: number | null;
  startedAt: number | null;
}

/** A pipeline whose meta.json cannot be read: `list` reports it and goes on with the others. */
export interface BrokenPipeline {
  id: string;
  file: string;
  problem: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** A node's line in the store's pipeline.json without what the reader can tell from the line before and the header. */
function shortened(node: PipelineNode, paramsAsBefore: boolean, file: string): Partial<PipelineNode> {
  const { params, parents, source, ...rest } = node;
  return {
    ...rest,
    ...(paramsAsBefore ? {} : { params }),
    ...(parents.length ? { parents } : {}),
    ...(source ? { source: source.file === file ? { line: source.line } : source } : {}),
  } as Partial<PipelineNode>;
}

/**
 * Pipelines on disk, one folder each: `pipeline.json` as defined, `events.jsonl` (append-only, written
 * synchronously so a killed runner loses nothing), `meta.json`, `exec/` (commands and logs of every
 * execution, mounted into containers) and `data/` (co.data.pipeline). Only the user may read any of
 * it (privateFiles.ts); whole files are replaced by rename; one process at a time runs a pipeline,
 * holding its lock (processLock.ts).
 */
/** How long a process that lost the race for a pipeline waits for the winner to name itself. */
const OWNER_WRITE_WAIT_MS = 2000;

export class PipelineStore {
  readonly root: string;
  /** Prefix of this store's lock names: the same store reached by another path locks the same. */
  private readonly lockPrefix: string;
  /** Locks of the pipelines this store object claimed. */
  private readonly held = new Map<string, ProcessLock>();

  constructor(root?: string) {
    this.root = path.join(root ?? defaultStoreRoot(), 'pipelines');
    // One level at a time, private (a store under /proc fails at once instead of spinning).
    makeStoreFolder(this.root, root);
    makePrivateDir(this.root, { enforce: true });
    this.lockPrefix = lockPrefixOf(this.root);
  }

  dir(id: string): string {
    if (!isPipelineId(id)) throw new Error(`"${id}" is not a pipeline id`);
    return path.join(this.root, id);
  }
  /** The pipeline's logs, results and shared data. */
  space(id: string): PipelineSpace {
    return new PipelineSpace(this.dir(id));
  }

  exists(id: string): boolean {
    return existsSync(path.join(this.dir(id), 'meta.json'));
  }

  /** Creates a new instance of a pipeline and returns its id. */
  create(doc: PipelineDocument, options: { defaultImage?: string; imageMap?: string[]; args?: string[] } = {}): PipelineMeta {
    const id = newPipelineName((name) => existsSync(path.join(this.root, name)));
    const dir = this.dir(id);
    makePrivateDir(dir);
    this.space(id).ensure();
    // Same line-per-node layout the SDK writes, so large pipelines stream back in; lines shortened
    // (readPipeline.ts makes them whole): a thousand siblings' params and file are written once.
    writePrivateFileAtomic(path.join(dir, 'pipeline.json'), (fd) => {
      const { nodes, ...header } = doc;
      writeAll(fd, `${JSON.stringify(header).slice(0, -1)}, "nodes": [\n`);
      const last = nodes.length - 1;
      let buffer = '';
      let paramsBefore = '';
      nodes.forEach((node, i) => {
        const params = JSON.stringify(node.params);
        buffer += `${JSON.stringify(shortened(node, params === paramsBefore, doc.file))}${i < last ? ',' : ''}\n`;
        paramsBefore = params;
        if (buffer.length > 1 << 20) {
          writeAll(fd, buffer);
          buffer = '';
        }
      });
      writeAll(fd, `${buffer}]}\n`);
    });
    const now = Date.now();
    const meta: PipelineMeta = { id, name: doc.name, file: doc.file, createdAt: now, lastUsedAt: now, status: 'active', ...(options.defaultImage ? { defaultImage: options.defaultImage } : {}), ...(options.imageMap?.length ? { imageMap: options.imageMap } : {}), ...(options.args?.length ? { args: options.args } : {}) };
    this.writeMeta(meta);
    return meta;
  }

  /** The pipeline's meta.json, checked; a damaged one throws naming the file and what is wrong. */
  meta(id: string): PipelineMeta {
    const file = path.join(this.dir(id), 'meta.json');
    if (!existsSync(file)) throw new Error(`no pipeline "${id}" in ${this.root}`);
    return readMeta(file, id);
  }

  writeMeta(meta: PipelineMeta): void {
    writePrivateFileAtomic(path.join(this.dir(meta.id), 'meta.json'), JSON.stringify(meta, null, 1));
  }

  touch(id: string, status?: PipelineStatus): void {
    const meta = this.meta(id);
    meta.lastUsedAt = Date.now();
    if (status) meta.status = status;
    this.writeMeta(meta);
  }

  saveSummary(summary: PipelineSummary): void {
    const meta = this.meta(summary.id);
    this.writeMeta({ ...meta, rootState: summary.rootState, counts: summary.counts, status: summary.status });
  }

  readDocument(id: string): Promise<PipelineDocument> {
    return readPipelineFile(path.join(this.dir(id), 'pipeline.json'));
  }

  /** The log to append to; only the pipeline's owner opens it (it repairs a torn last line). */
  openEventLog(id: string): EventLog {
    return new EventLog(this.eventLogFile(id));
  }

  /** Replays the event log; a torn last line is ignored, a log that cannot be trusted throws naming the file. */
  readEvents(id: string, end?: number): AsyncGenerator<RunnerEvent> {
    return readEventLog(this.eventLogFile(id), id, end);
  }

  /** The same, a read's worth of events at a time (replays of large logs). */
  readEventBatches(id: string, end?: number, start?: number): AsyncGenerator<RunnerEvent[]> {
    return readEventBatches(this.eventLogFile(id), id, end, start);
  }

  eventLogFile(id: string): string {
    return path.join(this.dir(id), 'events.jsonl');
  }

  /** Where the run's state is written when it closes (store/checkpointFile.ts). */
  checkpointFile(id: string): string {
    return path.join(this.dir(id), 'checkpoint.jsonl');
  }

  /** Every pipeline, newest first, and those whose meta.json cannot be read (one never hides the others). */
  scan(): { pipelines: PipelineMeta[]; broken: BrokenPipeline[] } {
    const pipelines: PipelineMeta[] = [];
    const broken: BrokenPipeline[] = [];
    for (const id of readdirSync(this.root)) {
      if (!isPipelineId(id) || !this.exists(id)) continue;
      try {
        pipelines.push(this.meta(id));
      } catch (err) {
        const file = path.join(this.dir(id), 'meta.json');
        broken.push({ id, file, problem: err instanceof StoreFileError ? err.problem : (err as Error).message });
      }
    }
    pipelines.sort((a, b) => b.lastUsedAt - a.lastUsedAt);
    broken.sort((a, b) => a.id.localeCompare(b.id));
    return { pipelines, broken };
  }

  /** The pipelines whose meta.json can be read, newest first. */
  list(): PipelineMeta[] {
    return this.scan().pipelines;
  }

  delete(id: string): void {
    rmSync(this.dir(id), { recursive: true, force: true });
  }

  /**
   * Makes this process the pipeline's only runner until `release` (or its death): throws, naming the
   * owner, while another process runs it. owner.json then says who runs it, for messages.
   */
  claim(id: string): void {
    const dir = this.dir(id);
    if (!existsSync(dir)) throw new Error(`no pipeline "${id}" in ${this.root}`);
    if (this.held.has(id)) throw new Error(`pipeline ${id} is already open in this process`);
    const lock = ProcessLock.tryAcquire(this.lockName(id));
    if (!lock) throw new Error(`pipeline ${id} is being run by another process (pid ${this.ownerOfHeld(id)?.pid ?? 'unknown'}); control it there`);
    try {
      const owner: OwnerInfo = { pid: process.pid, startedAt: Date.now() };
      writePrivateFileAtomic(path.join(dir, 'owner.json'), JSON.stringify(owner));
    } catch (err) {
      lock.release();
      throw err;
    }
    this.held.set(id, lock);
  }

  /** Lets go of a pipeline this store object claimed. */
  release(id: string): void {
    const lock = this.held.get(id);
    if (!lock) return;
    // Still holding the lock, so no new owner can have written the file yet.
    rmSync(path.join(this.dir(id), 'owner.json'), { force: true });
    lock.release();
    this.held.delete(id);
  }

  /** The live process running this pipeline (this one included), if any: the lock says, owner.json names it. */
  liveOwner(id: string): LiveOwner | null {
    if (!ProcessLock.isHeld(this.lockName(id))) return null;
    return this.ownerInfo(id) ?? { pid: null, startedAt: null };
  }

  /**
   * The owner of a lock another process just won: it writes owner.json right after taking the
   * lock, so a loser waits that moment out (briefly) rather than report "pid unknown".
   */
  private ownerOfHeld(id: string, waitMs = OWNER_WRITE_WAIT_MS): LiveOwner | null {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const owner = this.liveOwner(id);
      if (!owner || owner.pid !== null || Date.now() >= deadline) return owner;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }

  /** What owner.json says, if it can be read (the owner may not have written it yet). */
  private ownerInfo(id: string): OwnerInfo | null {
    try {
      const owner = readJsonFile(path.join(this.dir(id), 'owner.json')) as Partial<OwnerInfo>;
      return typeof owner.pid === 'number' && typeof owner.startedAt === 'number' ? { pid: owner.pid, startedAt: owner.startedAt } : null;
    } catch {
      return null;
    }
  }

  private lockName(id: string): string {
    return lockNameOf(this.lockPrefix, id);
  }

  /** Deletes pipelines unused for `days` that no live process runs. Returns their ids. */
  pruneExpired(days: number, now = Date.now()): string[] {
    const removed: string[] = [];
    for (const meta of this.list()) {
      if (now - meta.lastUsedAt <= days * DAY_MS || this.liveOwner(meta.id)) continue;
      this.delete(meta.id);
      removed.push(meta.id);
    }
    return removed;
  }
}

function isPipelineId(name: string): boolean {
  return /^[a-z0-9-]+$/.test(name);
}

function lockPrefixOf(root: string): string {
  return `pipewright-${createHash('sha256').update(realpathSync(root)).digest('hex').slice(0, 16)}`;
}

function lockNameOf(prefix: string, id: string): string {
  const name = `${prefix}-${id}`;
  // Ids grow longer once short names run out; a lock name must fit a socket address.
  return name.length <= 100 ? name : `${prefix}-${createHash('sha256').update(id).digest('hex')}`;
}

/** Whether a live process runs the pipeline kept in `dir` (a store's `pipelines/ID`); false when it is gone. */
export function isPipelineDirLive(dir: string): boolean {
  if (!existsSync(dir)) return false;
  return ProcessLock.isHeld(lockNameOf(lockPrefixOf(path.dirname(dir)), path.basename(dir)));
}
