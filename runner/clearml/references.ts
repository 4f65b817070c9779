// `${...}` references of pipeline steps (docs/clearml.md), resolved when a step starts from the
// results its parents left in the shared data folder (clearml/<step>/result.json).
// The data folder is written by nodes: it is read through ConfinedFolder, which follows no link.
import { ConfinedFolder, RefusedPath } from '../files/confinedFolder';
import { CONTAINER_PATHS } from '../nodePaths';
import { shQuote } from '../shQuote';

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

/**
 * The result a step left; null when it left none (or not JSON). Throws RefusedPath when it is not
 * a regular file reached through real folders of the data folder (a node planted a link).
 */
export function readResult(data: ConfinedFolder, step: string): StepResult | null {
  const text = data.readFile(`${stepFolder(step)}/result.json`);
  if (!text) return null;
  try {
    const result = JSON.parse(text.toString('utf8')) as StepResult;
    return result && typeof result === 'object' ? { ...result, parameters: result.parameters ?? {}, artifacts: result.artifacts ?? {} } : null;
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
  private readonly data: ConfinedFolder;

  constructor(
    dataDir: string,
    private readonly pipelineParams: Record<string, unknown>,
  ) {
    this.data = new ConfinedFolder(dataDir);
  }

  private result(step: string): StepResult {
    if (!this.results.has(step)) this.results.set(step, refusing(`step ${step}'s result`, () => readResult(this.data, step)));
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
    // The step says where its artifact is: a file or folder of its own, not a link to anywhere.
    refusing(`step ${step}'s artifact "${name}"`, () => this.data.kind(`${stepFolder(step)}/${String(info.file)}`));
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

/** `read()`, a refusal of the data folder's naming what was refused. */
function refusing<T>(what: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof RefusedPath) throw new Error(`${what} is refused: ${err.message}`, { cause: err });
    throw err;
  }
}

export function asText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A word for sh: as is when it is plain, else single-quoted. */
export function shellWord(text: string): string {
  return /^[A-Za-z0-9_./:=+,@%-]+$/.test(text) ? text : shQuote(text);
}
