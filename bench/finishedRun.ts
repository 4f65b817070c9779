// A finished run of N trivial nodes written into a store by the store's own code, without running
// containers (bench/million.ts runs them for real: 15 minutes at a million). bench/reopen.ts and
// bench/panel_million.ts read it back.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { evaluateDefinition } from '../evaluator/evaluateDefinition';
import type { ExecutionRecord, RunnerEvent } from '../protocol/runner';
import { PipelineStore } from '../runner/store/pipelineStore';

/**
 * Writes a finished run of `nodes` trivial nodes (Parallels of 1,000) into a store under `dir`: the
 * definition as the SDK exports it, each node's start and end as a run of 8 workers writes them.
 */
export async function writeFinishedRun(dir: string, nodes: number): Promise<{ root: string; id: string }> {
  const file = path.join(dir, 'million.py');
  writeFileSync(file, `import pipewright as co\nroot = co.Parallel(cpu=0.25, mem=0.25)\nleft = ${nodes}\nfor g in range(${Math.ceil(nodes / 1000)}):\n    p = root[f"g{g:04d}"] = co.Parallel()\n    for i in range(min(1000, left)):\n        p[f"n{i:04d}"] = co.Exec("true")\n    left -= 1000\n`);
  const doc = await evaluateDefinition(file);
  const root = path.join(dir, 'store');
  const store = new PipelineStore(root);
  const { id } = store.create(doc);
  const log = store.openEventLog(id);
  let time = Date.now();
  log.append([
    { type: 'created', pipeline: id, time, name: doc.name, file: doc.file },
    { type: 'autorun', pipeline: id, time, autorun: true },
  ]);
  const workers = Array.from({ length: 8 }, () => randomBytes(32).toString('hex'));
  let batch: RunnerEvent[] = [];
  let seq = 0;
  for (const node of doc.nodes) {
    if (node.type !== 'Exec') continue;
    const id_ = `e${++seq}`;
    const execution: ExecutionRecord = {
      id: id_,
      path: node.path,
      command: node.command!,
      params: node.params,
      image: 'pipewright/busybox:latest',
      startedAt: time,
      containerId: workers[seq % workers.length]!,
      token: randomBytes(16).toString('hex'),
      ranOn: os.hostname(),
    };
    time += 1;
    batch.push({ type: 'execution-start', pipeline: id, time, path: node.path, execution: { ...execution } });
    batch.push({ type: 'execution-end', pipeline: id, time: time + 1, path: node.path, state: 'done', execution: { ...execution, endedAt: time + 1, exitCode: 0, peakMemoryBytes: 800_000 + (seq % 4096) * 64 } });
    if (batch.length >= 2000) {
      log.append(batch);
      batch = [];
    }
  }
  log.append(batch);
  log.close();
  return { root, id };
}
