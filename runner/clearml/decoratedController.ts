// The controller node of a PipelineDecorator pipeline (docs/clearml.md): its body is user Python
// that decides which steps exist, so it runs as a process of the runner (like the callback host,
// on this machine, as ClearML's run_locally() controller) rather than in a container, and asks for
// steps as it goes: `python3 -m pipewright.clearml.decorated_host FILE FUNCTION` (see its doc for
// the requests). Each step it adds is appended to the run's tree (a nodes-added event), then
// scheduled and run like a PipelineController function step (stepEngine.ts).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { childPath, parentPath, type PipelineNode } from '../../protocol/pipeline';
import type { ExecutionRecord } from '../../protocol/runner';
import { cancelledOutcome, type JobOutcome } from '../backend';
import { ConfinedFolder, RefusedPath } from '../files/confinedFolder';
import type { RunNode, RunTree } from '../model/runTree';
import { CONTAINER_PATHS } from '../nodePaths';
import type { PipelineSpace } from '../store/pipelineSpace';
import type { CallbackHost, HostReply } from './controllerHost';
import { readResult, stepFolder } from './references';

/** What the controller needs from its pipeline instance. */
export interface DecoratedRunHost {
  readonly tree: RunTree;
  readonly space: PipelineSpace;
  readonly definitionFile: string;
  readonly sdkDir: string;
  readonly python: string;
  /** The pipeline parameters as this run has them (`--param` changes them). */
  parameters(): Record<string, unknown>;
  /** Appends steps under the root: in the tree, the log, every view; the scheduler starts them. */
  addSteps(nodes: PipelineNode[]): void;
  /** Can this pending step still run? 'failed': a step it needs failed, it never will. */
  dependencies(step: RunNode): string | undefined;
}

/** Where the body's own artifacts and the arguments it passes by value live in the data folder. */
const PIPELINE_FOLDER = 'clearml/.pipeline';

interface Request {
  id?: number;
  op?: string;
  name?: string;
  node?: PipelineNode;
  artifact?: string;
  sha256?: string;
  data?: string;
}

type Reply = Record<string, unknown>;

export class DecoratedController implements CallbackHost {
  private readonly data: ConfinedFolder;
  /** The running controller's stdin: the runner's calls (a component's callbacks) go there. */
  private calls: { write(line: string): void } | undefined;
  private callSeq = 0;
  private readonly answers = new Map<number, { resolve: (r: HostReply) => void; reject: (e: Error) => void }>();
  /** `wait` requests not answered yet: answered when their step ends. */
  private waiters: { leaf: RunNode; answer: (reply: Reply) => void }[] = [];
  private checking = false;

  constructor(private readonly host: DecoratedRunHost) {
    this.data = new ConfinedFolder(host.space.dataDir);
  }

  /** Does this pipeline have a decorated controller node? */
  static applies(tree: RunTree): boolean {
    return tree.root.children.some((c) => c.spec.decorated !== undefined);
  }

  isController(leaf: RunNode): boolean {
    return leaf.spec.decorated !== undefined;
  }

  /** Runs the pipeline body until it returns; its output is the execution's log. */
  run(leaf: RunNode, execution: ExecutionRecord, signal: AbortSignal, onLog: (text: string) => void): Promise<JobOutcome> {
    const spec = leaf.spec.decorated!;
    const file = this.host.definitionFile;
    const { python, sdkDir } = this.host;
    execution.image = '(this machine)';
    const log = this.host.space.logWriter(execution.id);
    return new Promise<JobOutcome>((resolve) => {
      const child = spawn(python, ['-m', 'pipewright.clearml.decorated_host', file, spec.function], {
        cwd: path.dirname(file),
        env: {
          ...process.env,
          PYTHONPATH: [sdkDir, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter),
          PYTHONDONTWRITEBYTECODE: '1',
          PYTHONUNBUFFERED: '1',
          PIPEWRIGHT_PIPELINE_PARAMETERS: JSON.stringify(this.host.parameters()),
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const output = (bytes: Buffer) => {
        log.write('stderr', bytes);
        onLog(bytes.toString('utf8'));
      };
      child.stderr.on('data', output);
      const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
      lines.on('line', (line) => {
        let request: Request & { answer?: number };
        try {
          request = JSON.parse(line) as Request & { answer?: number };
        } catch {
          output(Buffer.from(`${line}\n`));
          return;
        }
        if (typeof request.answer === 'number') {
          const waiter = this.answers.get(request.answer);
          this.answers.delete(request.answer);
          waiter?.resolve(request as HostReply);
          return;
        }
        void this.handle(request).then((reply) => {
          if (child.stdin.writable) child.stdin.write(`${JSON.stringify({ ...reply, id: request.id })}\n`);
        });
      });
      child.stdin.on('error', () => undefined);
      this.calls = { write: (text) => child.stdin.writable && child.stdin.write(text) };
      const stop = () => child.kill('SIGTERM');
      signal.addEventListener('abort', stop, { once: true });
      // max_time holds for the body as for any node.
      const maxSec = leaf.params.max_time;
      let overtime = false;
      const timer =
        maxSec > 0
          ? setTimeout(() => {
              overtime = true;
              stop();
            }, maxSec * 1000)
          : undefined;
      let ended = false;
      const end = (outcome: JobOutcome) => {
        if (ended) return;
        ended = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', stop);
        if (overtime) outcome = { exitCode: null, reason: 'time limit', message: `the pipeline function ran longer than ${maxSec}s (max_time)`, peakMemoryBytes: null, containerId: '' };
        log.close();
        this.waiters = [];
        this.calls = undefined;
        const gone = new Error(`the pipeline function has ended (${outcome.message ?? `status ${outcome.exitCode}`})`);
        for (const waiter of this.answers.values()) waiter.reject(gone);
        this.answers.clear();
        resolve(signal.aborted ? cancelledOutcome(signal) : outcome);
      };
      child.on('error', (err) => end({ exitCode: null, reason: 'error', message: `cannot start the pipeline's controller (${python}): ${err.message}`, peakMemoryBytes: null, containerId: '' }));
      child.on('close', (code) => end({ exitCode: code, ...(code === 0 ? {} : { reason: 'error', message: `the pipeline function raised or exited (status ${code}): see its log` }), peakMemoryBytes: null, containerId: '' }));
    });
  }

  /** A component's callback (pre, post, status, retry), answered by the running pipeline function. */
  request(op: string, payload: Record<string, unknown>): Promise<HostReply> {
    const calls = this.calls;
    if (!calls) return Promise.reject(new Error('the pipeline function is not running, so it cannot answer'));
    const call = ++this.callSeq;
    return new Promise<HostReply>((resolve, reject) => {
      this.answers.set(call, { resolve, reject });
      calls.write(`${JSON.stringify({ call, op, ...payload })}\n`);
    });
  }

  private async handle(request: Request): Promise<Reply> {
    try {
      switch (request.op) {
        case 'add':
          return this.add(request.node);
        case 'wait':
          return await this.wait(this.step(request.name));
        case 'artifact':
          return this.artifact(request.name ?? '', request.artifact ?? '');
        case 'upload':
          return this.upload(request);
        default:
          return { error: `unknown request ${String(request.op)}` };
      }
    } catch (err) {
      return { error: (err as Error).message ?? String(err) };
    }
  }

  private step(name: string | undefined): RunNode {
    const leaf = typeof name === 'string' ? this.host.tree.byPath.get(childPath('/', name)) : undefined;
    if (!leaf?.spec.step) throw new Error(`no step ${String(name)} in this pipeline`);
    return leaf;
  }

  /** A step the body called: checked, then appended under the root. */
  private add(node: PipelineNode | undefined): Reply {
    if (!node || typeof node !== 'object' || typeof node.path !== 'string') return { error: 'a step needs a node' };
    if (parentPath(node.path) !== '/' || node.path === '/') return { error: `step ${node.path} must be a child of the root` };
    if (node.type !== 'Exec' || typeof node.command !== 'string' || !node.step || node.step.kind !== 'function') return { error: `step ${node.path} must be a function step` };
    if (typeof node.params !== 'object' || node.params === null) return { error: `step ${node.path} has no params` };
    const tree = this.host.tree;
    for (const p of node.parents ?? []) if (!tree.byPath.get(p)?.spec.step) return { error: `step ${node.path} depends on ${p}, which is not a step of this pipeline` };
    const known = tree.byPath.get(node.path);
    if (known) {
      // The body runs again (the pipeline was reset): the step it calls again is the same node,
      // which the reset may have started already; one still pending takes the call's arguments.
      if (!known.spec.step) return { error: `${node.path} is not a step` };
      if (known.state === 'pending' && !known.executions.length) known.spec = { ...node, path: known.path };
      return {};
    }
    this.host.addSteps([{ ...node, parents: node.parents ?? [], set: node.set ?? [] }]);
    return {};
  }

  /** Resolves when the step has ended for good (done, failed, aborted, skipped, or never to run). */
  private wait(leaf: RunNode): Promise<Reply> {
    const now = this.final(leaf);
    if (now) return Promise.resolve(now);
    return new Promise((answer) => this.waiters.push({ leaf, answer }));
  }

  private final(leaf: RunNode): Reply | undefined {
    if (leaf.skipped) return { state: 'skipped' };
    const last = leaf.executions[leaf.executions.length - 1];
    const why = last ? (last.message ?? (last.exitCode !== undefined && last.exitCode !== null ? `exit ${last.exitCode}` : last.reason)) : undefined;
    if (leaf.state === 'done') return { state: 'done' };
    if (leaf.state === 'error' || leaf.state === 'killed') return { state: leaf.state, ...(why ? { message: why } : {}) };
    const blocker = leaf.state === 'pending' ? this.blockedBy(leaf, new Set()) : undefined;
    if (blocker) return { state: 'error', message: `it cannot run: step ${blocker.slice(1)}, which it depends on, failed` };
    return undefined;
  }

  /** A pending step that never will run, because a step it depends on (however far up) failed: that step's path. */
  private blockedBy(leaf: RunNode, seen: Set<RunNode>): string | undefined {
    if (seen.has(leaf)) return undefined;
    seen.add(leaf);
    if (this.host.dependencies(leaf) === 'failed') {
      const failed = leaf.spec.parents.find((p) => ['error', 'killed'].includes(this.host.tree.byPath.get(p)?.state ?? ''));
      return failed ?? leaf.path;
    }
    for (const p of leaf.spec.parents) {
      const parent = this.host.tree.byPath.get(p);
      if (parent?.spec.step && parent.state === 'pending' && !parent.skipped) {
        const found = this.blockedBy(parent, seen);
        if (found) return found;
      }
    }
    return undefined;
  }

  /** Every event of the run: the steps waited for may have ended (looked at once the event is applied). */
  observe(): void {
    if (this.checking || !this.waiters.length) return;
    this.checking = true;
    queueMicrotask(() => {
      this.checking = false;
      const still: typeof this.waiters = [];
      for (const waiter of this.waiters) {
        const reply = this.final(waiter.leaf);
        if (reply) waiter.answer(reply);
        else still.push(waiter);
      }
      this.waiters = still;
    });
  }

  /** A return value of a step, as its artifact's bytes (read through the confined data folder). */
  private artifact(step: string, name: string): Reply {
    let result;
    try {
      result = readResult(this.data, step);
    } catch (err) {
      if (err instanceof RefusedPath) return { error: `step ${step}'s result is refused: ${err.message}` };
      throw err;
    }
    if (!result) return { error: `step ${step} left no result` };
    const info = result.artifacts[name];
    if (!info) return { error: `step ${step} has no return value "${name}" (it stored ${Object.keys(result.artifacts).join(', ') || 'none'})` };
    const bytes = this.data.readFile(`${stepFolder(step)}/${String(info.file)}`, 1024 * 2 ** 20);
    if (!bytes) return { error: `step ${step}'s artifact "${name}" is not a file` };
    return { data: bytes.toString('base64'), type: info.type ?? 'file', file: path.posix.basename(String(info.file)) };
  }

  /** An argument passed by value (or an artifact of the pipeline): a pickle in the data folder. */
  private upload(request: Request): Reply {
    if (typeof request.data !== 'string' || typeof request.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(request.sha256)) return { error: 'upload needs data and its sha256' };
    const artifact = request.artifact;
    if (artifact !== undefined && (typeof artifact !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(artifact))) return { error: `artifact name ${String(artifact)} is invalid` };
    const rel = artifact ? `${PIPELINE_FOLDER}/artifacts/${artifact}/${artifact}.pkl` : `${PIPELINE_FOLDER}/inputs/${request.sha256}.pkl`;
    const staging = mkdtempSync(path.join(os.tmpdir(), 'pipewright-upload-'));
    try {
      const file = path.join(staging, 'data');
      writeFileSync(file, Buffer.from(request.data, 'base64'), { mode: 0o600 });
      this.data.placeFile(file, rel);
      if (artifact) {
        const main = path.join(staging, '.main');
        writeFileSync(main, `${artifact}.pkl`);
        this.data.placeFile(main, `${PIPELINE_FOLDER}/artifacts/${artifact}/.main`);
      }
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
    return { path: `${CONTAINER_PATHS.data}/${rel}` };
  }
}
