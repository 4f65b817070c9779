// `${...}` references of pipeline steps (docs/clearml.md), resolved when a step starts from the
// results its parents left in the shared data folder (clearml/<step>/result.json).
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CONTAINER_PATHS } from '../nodePaths';

export interface ArtifactInfo {
  /** Relative to the step's folder. */
  file: string;
  sha256: string;
  size?: number | null;
  type?: string;
  preview?: string | null;
}

export interface StepResult {
  id: string;
  name: string;
  parameters: Record<string, unknown>;
  artifacts: Record<string, ArtifactInfo>;
}

const REF = /\$\{([^{}]+)\}/g;

/** The folder of a step's parameters, result and artifacts, relative to the data folder. */
export function stepFolder(step: string): string {
  return `clearml/${step}`;
}

export function containerUrl(step: string, file: string): string {
  return `${CONTAINER_PATHS.data}/${stepFolder(step)}/${file}`;
}

export function readResult(dataDir: string, step: string): StepResult | null {
  const file = path.join(dataDir, stepFolder(step), 'result.json');
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as StepResult;
  } catch {
    return null;
  }
}

type Ref = { kind: 'pipeline'; name: string } | { kind: 'own'; key: string } | { kind: 'step'; step: string; rest: string } | null;

/** Mirrors pipewright/clearml/refs.py kind_of. */
export function parseRef(inner: string): Ref {
  const dot = inner.indexOf('.');
  const slash = inner.indexOf('/');
  if (slash !== -1 && (dot === -1 || slash < dot)) return { kind: 'own', key: inner };
  if (dot <= 0) return null;
  const head = inner.slice(0, dot);
  if (head === 'pipeline') return { kind: 'pipeline', name: inner.slice(dot + 1) };
  return { kind: 'step', step: head, rest: inner.slice(dot + 1) };
}

/** Resolves references against the pipeline's parameters and its steps' results. */
export class Resolver {
  /** `step:artifact` -> sha256 of every artifact a resolution used (the cache key's inputs). */
  readonly inputs = new Map<string, string>();
  private readonly results = new Map<string, StepResult | null>();

  constructor(
    private readonly dataDir: string,
    private readonly pipelineParams: Record<string, unknown>,
  ) {}

  private result(step: string): StepResult {
    if (!this.results.has(step)) this.results.set(step, readResult(this.dataDir, step));
    const result = this.results.get(step);
    if (!result) throw new Error(`step ${step} has no result (it did not complete successfully)`);
    return result;
  }

  private artifact(step: string, name: string): string {
    const result = this.result(step);
    const info = result.artifacts[name];
    if (!info) {
      const known = Object.keys(result.artifacts);
      throw new Error(`step ${step} has no artifact "${name}" (${known.length ? `it has ${known.join(', ')}` : 'it stored none'})`);
    }
    this.inputs.set(`${step}:${name}`, info.sha256);
    return containerUrl(step, info.file);
  }

  /** A reference as text, or as an artifact object marker when `asObject`. */
  private value(inner: string, asObject: boolean): unknown {
    const ref = parseRef(inner);
    if (!ref || ref.kind === 'own') return undefined;
    if (ref.kind === 'pipeline') {
      if (!(ref.name in this.pipelineParams)) throw new Error(`no pipeline parameter "${ref.name}" (add_parameter)`);
      return this.pipelineParams[ref.name];
    }
    const { step, rest } = ref;
    if (rest === 'id') return this.result(step).id;
    if (rest.startsWith('parameters.')) {
      const key = rest.slice('parameters.'.length);
      const params = this.result(step).parameters;
      if (!(key in params)) throw new Error(`step ${step} has no parameter "${key}"`);
      return params[key];
    }
    if (rest.startsWith('models.')) throw new Error(`\${${inner}}: models are not supported; use artifacts`);
    let name = rest;
    let url = false;
    if (rest.startsWith('artifacts.')) {
      name = rest.slice('artifacts.'.length);
      if (name.endsWith('.url')) {
        name = name.slice(0, -'.url'.length);
        url = true;
      }
    }
    const where = this.artifact(step, name);
    return asObject && !url ? { __artifact__: where } : where;
  }

  /** Resolves every reference in a value (strings inside lists and objects too). */
  resolve(value: unknown, asObject = false): unknown {
    if (typeof value === 'string') {
      const whole = /^\$\{([^{}]+)\}$/.exec(value);
      if (whole) {
        const v = this.value(whole[1]!, asObject);
        return v === undefined ? value : v;
      }
      return value.replace(REF, (text, inner: string) => {
        const v = this.value(inner, false);
        return v === undefined ? text : asText(v);
      });
    }
    if (Array.isArray(value)) return value.map((v) => this.resolve(v, asObject));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolve(v, asObject)]));
    return value;
  }

  /** A command: references resolved, `${Section/x}` replaced by this step's parameter, quoted. */
  command(command: string, params: Record<string, unknown>): string {
    return command.replace(REF, (text, inner: string) => {
      const ref = parseRef(inner);
      if (ref?.kind === 'own') {
        if (!(ref.key in params)) throw new Error(`the command uses \${${ref.key}}, but the step has no such parameter (it has ${Object.keys(params).join(', ') || 'none'})`);
        return shellWord(asText(params[ref.key]));
      }
      const v = this.value(inner, false);
      return v === undefined ? text : shellWord(asText(v));
    });
  }
}

export function asText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A word for sh: as is when it is plain, else single-quoted. */
export function shellWord(text: string): string {
  return /^[A-Za-z0-9_./:=+,@%-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
