import type { EndReason } from '../../protocol/runner';

/** Everything the executor needs to run one Exec node; built by the runner, free of policy. */
export interface ExecRequest {
  pipelineId: string;
  execId: string;
  path: string;
  command: string;
  env: Record<string, string>;
  /** A local image name or id. */
  image: string;
  /** PATH from the image's config; the SDK's bin/ goes in front of it. */
  imagePath: string | null;
  /** Working directory in the container. */
  workdir: string;
  /** Host folder of the definition, mounted at /pipewright/src (null when the image has a copy). */
  definitionDir: string | null;
  cpu: number;
  /** GB. */
  mem: number;
  gpu: number;
  requiresDocker: boolean;
  reuseContext: string | null;
  maxTimeSec: number;
  /** Host folders: per-pipeline exec files and shared data, and the SDK. */
  execDir: string;
  dataDir: string;
  sdkDir: string;
}

export interface ExecOutcome {
  exitCode: number | null;
  reason?: EndReason;
  message?: string;
  peakMemoryBytes: number | null;
  containerId: string;
  /** The cpu limit actually applied when the request asked for more than the machine has. */
  cpuClamped?: number;
}

export interface RunningExec {
  readonly execId: string;
  readonly done: Promise<ExecOutcome>;
  /** Stops the execution; `done` resolves with this reason. */
  kill(reason: EndReason): void;
  /** The container it runs in, once known. */
  containerId(): string | undefined;
}

export const CONTAINER_PATHS = {
  sdk: '/pipewright/sdk',
  exec: '/pipewright/exec',
  data: '/pipewright/data',
  src: '/pipewright/src',
} as const;
