import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync, createReadStream } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import type { PipelineDocument } from '../../protocol/pipeline';
import { readPipelineFile } from '../../evaluator/readPipeline';
import type { NodeState, PipelineStatus, PipelineSummary, RunnerEvent, StateCounts } from '../../protocol/runner';
import { newPipelineName } from './pipelineNames';
import { PipelineSpace } from './pipelineSpace';
import { makeStoreFolder } from './storeFolder';
import { defaultStoreRoot } from './storeLocation';

export interface PipelineMeta {
  id: string;
  name: string;
  file: string;
  createdAt: number;
  lastUsedAt: number;
  status: PipelineStatus;
  /** As of the last time a runner let go of it. */
  rootState?: NodeState;
  counts?: StateCounts;
}

/** Which process runs a pipeline now. */
export interface OwnerInfo {
  pid: number;
  startedAt: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Pipelines on disk, one folder each: `pipeline.json` as defined, `events.jsonl` (append-only, written
 * synchronously so a killed runner loses nothing), `meta.json`, `exec/` (commands and logs of every
 * execution, mounted into containers) and `data/` (co.data.pipeline).
 */
export class PipelineStore {
  readonly root: string;

  constructor(root?: string) {
    this.root = path.join(root ?? defaultStoreRoot(), 'pipelines');
    makeStoreFolder(this.root, root);
  }

  dir(id: string): string {
    if (!/^[a-z0-9-]+$/.test(id)) throw new Error(`"${id}" is not a pipeline id`);
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
  create(doc: PipelineDocument): PipelineMeta {
    const id = newPipelineName((name) => existsSync(path.join(this.root, name)));
    const dir = this.dir(id);
    this.space(id).ensure();
    // Same line-per-node layout the SDK writes, so large pipelines stream back in.
    const fd = openSync(path.join(dir, 'pipeline.json'), 'w');
    try {
      const { nodes, ...header } = doc;
      writeSync(fd, `${JSON.stringify(header).slice(0, -1)}, "nodes": [\n`);
      const last = nodes.length - 1;
      let buffer = '';
      nodes.forEach((node, i) => {
        buffer += `${JSON.stringify(node)}${i < last ? ',' : ''}\n`;
        if (buffer.length > 1 << 20) {
          writeSync(fd, buffer);
          buffer = '';
        }
      });
      writeSync(fd, `${buffer}]}\n`);
    } finally {
      closeSync(fd);
    }
    const now = Date.now();
    const meta: PipelineMeta = { id, name: doc.name, file: doc.file, createdAt: now, lastUsedAt: now, status: 'active' };
    this.writeMeta(meta);
    return meta;
  }

  meta(id: string): PipelineMeta {
    const file = path.join(this.dir(id), 'meta.json');
    if (!existsSync(file)) throw new Error(`no pipeline "${id}" in ${this.root}`);
    return JSON.parse(readFileSync(file, 'utf8')) as PipelineMeta;
  }

  writeMeta(meta: PipelineMeta): void {
    writeFileSync(path.join(this.dir(meta.id), 'meta.json'), JSON.stringify(meta, null, 1));
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

  openEventLog(id: string): EventLog {
    return new EventLog(path.join(this.dir(id), 'events.jsonl'));
  }

  /** Replays the event log; a torn last line (the runner died mid-write) is ignored. */
  async *readEvents(id: string): AsyncGenerator<RunnerEvent> {
    const file = path.join(this.dir(id), 'events.jsonl');
    if (!existsSync(file)) return;
    const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
    for await (const line of lines) {
      if (!line) continue;
      try {
        yield JSON.parse(line) as RunnerEvent;
      } catch {
        // Only the last line can be torn; stop rather than apply garbage.
        return;
      }
    }
  }

  list(): PipelineMeta[] {
    return readdirSync(this.root)
      .filter((id) => this.exists(id))
      .map((id) => this.meta(id))
      .sort((a, b) => b.lastUsedAt - a.lastUsedAt);
  }

  delete(id: string): void {
    rmSync(this.dir(id), { recursive: true, force: true });
  }

  /** Records this process as the pipeline's runner. */
  claim(id: string): void {
    const owner: OwnerInfo = { pid: process.pid, startedAt: Date.now() };
    writeFileSync(path.join(this.dir(id), 'owner.json'), JSON.stringify(owner));
  }

  release(id: string): void {
    const file = path.join(this.dir(id), 'owner.json');
    try {
      const owner = JSON.parse(readFileSync(file, 'utf8')) as OwnerInfo;
      if (owner.pid === process.pid) rmSync(file, { force: true });
    } catch {
      // no owner file: nothing to release
    }
  }

  /** The live process running this pipeline, other than this one, if any. */
  liveOwner(id: string): OwnerInfo | null {
    try {
      const owner = JSON.parse(readFileSync(path.join(this.dir(id), 'owner.json'), 'utf8')) as OwnerInfo;
      if (owner.pid === process.pid) return null;
      process.kill(owner.pid, 0);
      return owner;
    } catch {
      return null;
    }
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

/** Appends events to a pipeline's log; each append reaches the kernel before it returns. */
export class EventLog {
  private fd: number | null;
  constructor(readonly file: string) {
    this.fd = openSync(file, 'a');
  }
  append(events: readonly RunnerEvent[]): void {
    if (!events.length || this.fd === null) return;
    writeSync(this.fd, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  }
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
