// The runner service's channel (runner/service/): newline-delimited JSON over a Unix socket only its
// user can open. Clients (the extension, the CLI, a second window) send requests; the service
// answers each by its id and pushes the events of the runs a client watches. Both ends check what
// they read: the two processes may be different versions.
import * as v from 'valibot';
import type { RunnerEvent } from './runner';
import { ControlRequestSchema } from './control';
import { check, closedObject, FiniteSchema, parseJson, type Checked } from './validation';

const PipelineIdSchema = v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'not a pipeline id'));

/** What a run's engine context is made of, resolved by the client (its settings, flags and env). */
const EngineOptionsSchema = closedObject({
  dockerHost: v.optional(v.string()),
  /** Where the host came from, for messages ("the pipewright.dockerHost setting", "DOCKER_HOST"). */
  dockerHostFrom: v.optional(v.string()),
  defaultImage: v.optional(v.string()),
  budget: v.optional(closedObject({ cpu: v.optional(FiniteSchema), mem: v.optional(FiniteSchema) })),
  workerIdleMs: v.optional(FiniteSchema),
  python: v.optional(v.string()),
  retentionDays: v.optional(FiniteSchema),
  imageMapEnv: v.optional(v.string()),
  imageMapSetting: v.optional(v.unknown()),
  imageMapFlags: v.optional(v.array(v.string())),
  backend: v.optional(v.string()),
  backendFrom: v.optional(v.string()),
  registry: v.optional(v.string()),
  registryFrom: v.optional(v.string()),
  backendsEnv: v.optional(v.string()),
  backendsSetting: v.optional(v.unknown()),
});

export type EngineOptions = v.InferOutput<typeof EngineOptionsSchema>;

const ServiceRequestSchema = v.variant('op', [
  /** Who is asking; the reply names the service (pid, store). */
  closedObject({ id: v.number(), op: v.literal('hello'), client: v.string() }),
  /** The runs the service holds now. */
  closedObject({ id: v.number(), op: v.literal('list') }),
  /** Take a stored pipeline (new, or left by a stopped runner: recovered) and run it. */
  closedObject({ id: v.number(), op: v.literal('open'), pipeline: PipelineIdSchema, options: EngineOptionsSchema, autorun: v.optional(v.boolean()) }),
  /** Stream the run's events from now on; the reply says how much of its log holds the past. */
  closedObject({ id: v.number(), op: v.literal('watch'), pipeline: PipelineIdSchema }),
  closedObject({ id: v.number(), op: v.literal('unwatch'), pipeline: PipelineIdSchema }),
  closedObject({ id: v.number(), op: v.literal('control'), pipeline: PipelineIdSchema, request: ControlRequestSchema }),
  closedObject({ id: v.number(), op: v.literal('whyPending'), pipeline: PipelineIdSchema }),
  /** Answered once nothing runs or is queued and the run is not asleep. */
  closedObject({ id: v.number(), op: v.literal('ended'), pipeline: PipelineIdSchema }),
  /** Stop the run's containers and let go of it (it stays in the store). */
  closedObject({ id: v.number(), op: v.literal('close'), pipeline: PipelineIdSchema }),
  /** Stop the service: every run it holds is let go of (their containers stop). */
  closedObject({ id: v.number(), op: v.literal('stop') }),
]);

export type ServiceRequest = v.InferOutput<typeof ServiceRequestSchema>;
export type ServiceOp = ServiceRequest['op'];

export interface ServiceHello {
  pid: number;
  store: string;
}

export interface WatchStart {
  /** Bytes of the run's events.jsonl written before the first streamed event: replay up to here. */
  offset: number;
  /** Nodes queued now (queued states are not kept in the log). */
  queued: string[];
}

export interface ServiceRunInfo {
  id: string;
  name: string;
  file: string;
}

/** What the service sends: a reply to request `re`, a batch of a watched run's events, or news. */
export type ServiceMessage =
  | { re: number; ok: true; value?: unknown }
  | { re: number; ok: false; error: string }
  | { pipeline: string; events: RunnerEvent[] }
  /** The runs it holds changed (one started, one let go). */
  | { runs: ServiceRunInfo[] }
  /** It let go of a run a client watched (closed, or the service is stopping). */
  | { released: string };

const EventSchema = v.looseObject({ type: v.string(), pipeline: v.string() });
const RunInfoSchema = v.object({ id: v.string(), name: v.string(), file: v.string() });
const ServiceMessageSchema = v.union([
  v.object({ re: v.number(), ok: v.literal(true), value: v.optional(v.unknown()) }),
  v.object({ re: v.number(), ok: v.literal(false), error: v.string() }),
  v.object({ pipeline: v.string(), events: v.array(EventSchema) }),
  v.object({ runs: v.array(RunInfoSchema) }),
  v.object({ released: v.string() }),
]);

export const parseServiceRequest = (line: string): Checked<ServiceRequest> => parseJson(line, (x) => check(ServiceRequestSchema, x));

export const parseServiceMessage = (line: string): Checked<ServiceMessage> =>
  parseJson(line, (x) => check(ServiceMessageSchema, x) as Checked<ServiceMessage>);

const LiveRunsSchema = v.array(closedObject({ id: PipelineIdSchema, options: EngineOptionsSchema }));

/** The runs a service held (its `live.json`), read by the service that follows it. */
export type LiveRuns = v.InferOutput<typeof LiveRunsSchema>;

export const parseLiveRuns = (text: string): Checked<LiveRuns> => parseJson(text, (x) => check(LiveRunsSchema, x));
