// One execution from the moment the scheduler picks it to the moment its job ends: its image, its
// step preparation (ClearML), its job on the backend. It changes no run state: it reports what
// became of the execution once, and the run applies that. Cancellable at every point through
// its signal (kill, reset, sleep, close), with the EndReason as the abort's reason.
import { nodeName } from '../../protocol/pipeline';
import type { ExecutionRecord, RunnerEvent } from '../../protocol/runner';
import { cancelledOutcome, type JobOutcome, type JobSpec, type PipelineBackend } from '../backend';
import type { DecoratedController } from '../clearml/decoratedController';
import type { StepEngine } from '../clearml/stepEngine';
import type { RunNode } from '../model/runTree';
import { CONTAINER_PATHS } from '../nodePaths';
import type { ImageMap } from '../docker/imageMap';
import type { ImageResolver } from '../runContext';
import { reuseContextOf } from './reuseContext';

/** What became of an execution. */
export type Ending =
  /** It ran, or was stopped, or could not start: the outcome says which. */
  | { kind: 'ended'; outcome: JobOutcome }
  /** A pipeline step's pre_execute_callback said no: it never ran and is skipped. */
  | { kind: 'skipped' };

/** What a launch needs of its pipeline instance. */
export interface LaunchHost {
  readonly pipelineId: string;
  readonly definitionDir: string;
  /** For nodes that name no image: the one this pipeline instance was created with. */
  readonly defaultImage: string;
  /** The instance's image map (runContext.instanceImageMap); else the context's. */
  readonly imageMap?: ImageMap;
  readonly resolveImage: ImageResolver;
  /** The backend profile a node is sent to (null: the run's backend), and image resolution on its engine. */
  readonly profileOf?: (leaf: RunNode) => string | null;
  readonly profileResolver?: (profile: string) => Promise<ImageResolver>;
  /** Backend profiles are configured: the pipeline's nodes may run on several engines. */
  readonly spansEngines?: boolean;
  readonly steps: StepEngine | undefined;
  /** A PipelineDecorator pipeline's controller: its controller node runs here, not in a container. */
  readonly decorated?: DecoratedController | undefined;
  backend(): PipelineBackend;
  /** Events about the execution (start, live log, image progress, notices). */
  emit(event: RunnerEvent): void;
}

/** Lazy nodes: the Generate child prints the pipeline its Execute sibling becomes. */
export function isLazyGenerate(leaf: RunNode): boolean {
  return leaf.parent?.spec.type === 'Lazy' && nodeName(leaf.path) === 'Generate';
}

/** The file a Lazy Generate leaves for the runner: the generated pipeline's JSON. */
export const GENERATED_PIPELINE = 'node.json';

/** The files a node leaves for the runner (a re-attached execution collects them too). */
export function outputsOf(leaf: RunNode): JobSpec['outputs'] {
  return isLazyGenerate(leaf) ? [{ env: 'PIPEWRIGHT_NODE_OUTPUT', name: GENERATED_PIPELINE }] : [];
}

export async function launch(host: LaunchHost, leaf: RunNode, execution: ExecutionRecord, signal: AbortSignal): Promise<Ending> {
  const time = () => Date.now();
  const started = (job?: { containerId: string; token: string; ranOn?: string }) => {
    if (job) Object.assign(execution, { containerId: job.containerId, token: job.token, ...(job.ranOn ? { ranOn: job.ranOn } : {}) });
    host.emit({ type: 'execution-start', pipeline: host.pipelineId, time: time(), path: leaf.path, execution: { ...execution } });
  };
  try {
    if (host.decorated?.isController(leaf)) {
      started();
      const onLog = (text: string) => host.emit({ type: 'log', pipeline: host.pipelineId, time: time(), path: leaf.path, execution: execution.id, text });
      return { kind: 'ended', outcome: await host.decorated.run(leaf, execution, signal, onLog) };
    }
    const profile = host.profileOf?.(leaf) ?? null;
    if (profile) execution.profile = profile;
    const resolveImage = profile && host.profileResolver ? await host.profileResolver(profile) : host.resolveImage;
    const image = await resolveImage(
      leaf.params.image,
      { definitionDir: host.definitionDir, defaultImage: host.defaultImage, imageMap: host.imageMap },
      (p) => host.emit({ type: 'image', pipeline: host.pipelineId, time: time(), path: leaf.path, kind: p.kind, image: p.image, message: p.message }),
      signal,
    );
    execution.image = image.name;
    const context = reuseContextOf(leaf);
    if (image.mapped || image.git) execution.imageFrom = { ...(image.mapped ? { mapped: image.mapped } : {}), ...(image.git ? { git: image.git } : {}) };
    const job: JobSpec = {
      pipelineId: host.pipelineId,
      execId: execution.id,
      path: leaf.path,
      command: execution.command,
      env: { ...leaf.params.env, PIPEWRIGHT_PIPELINE: host.pipelineId, PIPEWRIGHT_NODE_PATH: leaf.path, PIPEWRIGHT_EXECUTION: execution.id },
      image: image.name,
      imagePath: image.path,
      // The image's WORKDIR, where copy_dir put the code; the definition's folder is reachable
      // (read-only) for callables and Lazy when the image has no copy of it.
      workdir: image.workdir,
      definitionDir: image.workdir ? null : host.definitionDir,
      cpu: leaf.params.cpu,
      mem: leaf.params.mem,
      gpu: leaf.params.gpu,
      requiresDocker: leaf.params.requires_docker,
      reuseContext: context.key,
      ...(context.pinned ? { pinnedContext: true } : {}),
      maxTimeSec: leaf.params.max_time,
      // Steps hand artifacts through the runner; nodes on several engines see each other's data through it.
      ...(host.steps || host.decorated || host.spansEngines ? { sharesDataWithRunner: true } : {}),
      ...(profile ? { profile } : {}),
      ...(leaf.params.placement?.length ? { constraints: leaf.params.placement } : {}),
    };
    if (host.steps?.isStep(leaf)) {
      // A pipeline step: references, callbacks and the cache first; it may not need to run.
      const prepared = await host.steps.prepare(leaf, execution, image.name, signal);
      if (signal.aborted) return stopped(signal);
      if ('skip' in prepared) return { kind: 'skipped' };
      if ('outcome' in prepared) {
        started();
        return { kind: 'ended', outcome: prepared.outcome };
      }
      // A task step runs its script from the definition's folder, as ClearML runs it from its checkout.
      Object.assign(job, { command: prepared.run.command, env: { ...job.env, ...prepared.run.env }, inputs: prepared.run.inputs, workdir: job.workdir ?? (job.definitionDir ? CONTAINER_PATHS.src : null) });
    }
    job.outputs = outputsOf(leaf);
    const onLog = (text: string) => host.emit({ type: 'log', pipeline: host.pipelineId, time: time(), path: leaf.path, execution: execution.id, text });
    return { kind: 'ended', outcome: await host.backend().run(job, { onLog, onStart: started }, signal) };
  } catch (err) {
    if (signal.aborted) return stopped(signal);
    return { kind: 'ended', outcome: { exitCode: null, reason: 'error', message: (err as Error).message ?? String(err), peakMemoryBytes: null, containerId: '' } };
  }
}

function stopped(signal: AbortSignal): Ending {
  return { kind: 'ended', outcome: cancelledOutcome(signal) };
}
