// Named backend profiles: other engines a pipeline may send some of its nodes to (a ClearML step's
// execution_queue naming a profile), so its heavy steps run on a remote engine or a swarm and the
// rest locally. From PIPEWRIGHT_BACKENDS (JSON) and the pipewright.backends setting (the setting's
// entries win), each checked with a message naming its source and key.
import type { Budget } from './scheduler/resourceBudget';

export const BACKEND_KINDS = ['docker', 'swarm'] as const;
export type BackendKind = (typeof BACKEND_KINDS)[number];

export interface BackendProfile {
  name: string;
  backend: BackendKind;
  /** The engine (or the swarm's manager): tcp://…, ssh://…, unix://…; none: the default engine's. */
  dockerHost?: string;
  /** A swarm's registry, HOST:PORT. */
  registry?: string;
  /** Cores and GB its nodes may hold at once; unset: what the engine offers. */
  budget: Partial<Budget>;
  /** For messages: "PIPEWRIGHT_BACKENDS" or "the pipewright.backends setting". */
  from: string;
}

/** A backend choice the user must fix: the message names the flag, variable or setting. */
export class BackendChoiceError extends Error {}

const REGISTRY = /^[A-Za-z0-9.-]+(:\d+)?$/;

/** Checks a registry's form (HOST:PORT), naming where it came from. */
export function checkRegistry(registry: string, from: string): string {
  if (!REGISTRY.test(registry)) throw new BackendChoiceError(`Invalid registry "${registry}" (from ${from}): give HOST:PORT, e.g. 10.0.0.1:5000.`);
  return registry;
}

/** The profiles of PIPEWRIGHT_BACKENDS (`env`) and of the setting (`setting`), checked. */
export function parseBackendProfiles(sources: { env?: string; setting?: unknown }): Map<string, BackendProfile> {
  const out = new Map<string, BackendProfile>();
  if (sources.env?.trim()) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(sources.env);
    } catch (err) {
      throw new BackendChoiceError(`PIPEWRIGHT_BACKENDS is not JSON: ${(err as Error).message}. Give {"NAME": {"dockerHost": "tcp://HOST:2375"}, …}.`, { cause: err });
    }
    for (const profile of profilesOf(parsed, 'PIPEWRIGHT_BACKENDS')) out.set(profile.name, profile);
  }
  if (sources.setting !== undefined && sources.setting !== null) {
    for (const profile of profilesOf(sources.setting, 'the pipewright.backends setting')) out.set(profile.name, profile);
  }
  return out;
}

function profilesOf(value: unknown, from: string): BackendProfile[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BackendChoiceError(`${from} must be an object of profiles: {"NAME": {"dockerHost": "tcp://HOST:2375"}, …}.`);
  return Object.entries(value as Record<string, unknown>).map(([name, entry]) => profileOf(name, entry, from));
}

function profileOf(name: string, entry: unknown, from: string): BackendProfile {
  const where = `${from}, profile "${name}"`;
  const fail = (why: string) => new BackendChoiceError(`${where}: ${why}.`);
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw fail('a profile name is letters, digits, "_", "." and "-"');
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw fail('must be an object ({"dockerHost": "tcp://HOST:2375"})');
  const known = new Set(['backend', 'dockerHost', 'registry', 'cpus', 'memory']);
  const e = entry as Record<string, unknown>;
  for (const key of Object.keys(e)) if (!known.has(key)) throw fail(`unknown key "${key}" (known: ${[...known].join(', ')})`);
  const backend = e.backend ?? 'docker';
  if (typeof backend !== 'string' || !(BACKEND_KINDS as readonly string[]).includes(backend)) throw fail(`"backend" is ${BACKEND_KINDS.join(' or ')}`);
  const text = (key: string) => {
    if (e[key] === undefined) return undefined;
    if (typeof e[key] !== 'string' || !e[key]) throw fail(`"${key}" must be a non-empty string`);
    return e[key] as string;
  };
  const positive = (key: string) => {
    if (e[key] === undefined) return undefined;
    if (typeof e[key] !== 'number' || !((e[key] as number) > 0)) throw fail(`"${key}" must be a number > 0`);
    return e[key] as number;
  };
  const registry = text('registry');
  if (registry) checkRegistry(registry, where);
  if (backend === 'swarm' && !registry) throw fail('a swarm needs "registry": "HOST:PORT", where its nodes pull the runner\'s images');
  const dockerHost = text('dockerHost');
  const cpus = positive('cpus');
  const memory = positive('memory');
  return {
    name,
    backend: backend as BackendKind,
    ...(dockerHost ? { dockerHost } : {}),
    ...(registry ? { registry } : {}),
    budget: { ...(cpus !== undefined ? { cpu: cpus } : {}), ...(memory !== undefined ? { mem: memory } : {}) },
    from,
  };
}

/** Why a node's backend= cannot be used: the name is not among the configured profiles. */
export function unknownProfile(name: string, configured: { profiles: ReadonlyMap<string, unknown> } | undefined): string {
  const known = [...(configured?.profiles.keys() ?? [])];
  return `backend "${name}" is not a configured backend profile (${known.length ? `configured: ${known.join(', ')}` : 'none is configured'}); name one in PIPEWRIGHT_BACKENDS or the pipewright.backends setting`;
}
