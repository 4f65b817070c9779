// The param editor's form: what the user typed, checked as they type with the same rules as the
// runner's validateModification (runner/model/validateModification.ts), and turned into
// the NodeModification of the fields that changed. Pure.
import { imageNameProblem } from '../protocol/imageReference';
import type { ImageSpec } from '../protocol/pipeline';
import type { NodeModification } from '../protocol/runner';
import type { NodeDetails } from '../protocol/webviewMessages';

export interface ParamForm {
  command: string;
  cpu: string;
  mem: string;
  gpu: string;
  max_time: string;
  image: string;
  /** KEY=VALUE lines. */
  env: string;
  skip: boolean;
}

export type FormField = keyof ParamForm;
export type FormErrors = Partial<Record<FormField, string>>;

export interface FormResult {
  changes: NodeModification;
  errors: FormErrors;
  /** Fields whose value differs from the node's. */
  dirty: FormField[];
}

export function envToText(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
}

export function formFromDetails(d: Pick<NodeDetails, 'command' | 'params' | 'skipped'>): ParamForm {
  return {
    command: d.command ?? '',
    cpu: String(d.params.cpu),
    mem: String(d.params.mem),
    gpu: String(d.params.gpu),
    max_time: String(d.params.max_time),
    image: d.params.image?.name ?? '',
    env: envToText(d.params.env),
    skip: d.skipped,
  };
}

const NUMBER = /^[+]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function parseNumber(text: string): number | null {
  const t = text.trim();
  return NUMBER.test(t) ? Number(t) : null;
}

/** Seconds, or a number with s, m or h. */
export function parseSeconds(text: string): number | null {
  const m = /^(.*?)\s*([smh])?$/i.exec(text.trim());
  if (!m) return null;
  const n = parseNumber(m[1]!);
  if (n === null) return null;
  const unit = (m[2] ?? 's').toLowerCase();
  return n * (unit === 'h' ? 3600 : unit === 'm' ? 60 : 1);
}

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function parseEnv(text: string): { env: Record<string, string>; error?: string } {
  const env: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (!line.trim() || line.trimStart().startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) return { env, error: `line ${i + 1}: expected KEY=VALUE` };
    const key = line.slice(0, eq).trim();
    if (!ENV_KEY.test(key)) return { env, error: `line ${i + 1}: ${key} is not a variable name (letters, digits, _; not starting with a digit)` };
    if (key in env) return { env, error: `line ${i + 1}: ${key} is set twice` };
    env[key] = line.slice(eq + 1);
  }
  return { env };
}

function sameEnv(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => b[k] === a[k]);
}

function imageWithName(current: ImageSpec | null, name: string): ImageSpec {
  return current ? { ...current, name } : { name, dockerfile: null, dockerfile_text: null, context: null, copy_dir: null, install_packages: [], install_pip: [], path_map: {} };
}

/** Checks the form against the node it edits and collects the changes. */
export function validateForm(form: ParamForm, node: Pick<NodeDetails, 'type' | 'command' | 'params' | 'skipped'>): FormResult {
  const errors: FormErrors = {};
  const changes: NodeModification = {};
  const dirty: FormField[] = [];
  const p = node.params;

  if (node.type === 'Exec') {
    if (form.command !== (node.command ?? '')) {
      dirty.push('command');
      if (!form.command.trim()) errors.command = 'command must be a non-empty string';
      else changes.command = form.command;
    }
  } else if (form.command.trim() && form.command !== (node.command ?? '')) {
    errors.command = 'only Exec nodes have a command';
  }

  const cpu = parseNumber(form.cpu);
  if (cpu !== p.cpu) {
    dirty.push('cpu');
    if (cpu === null || !(cpu >= 0) || !Number.isFinite(cpu)) errors.cpu = `cpu must be a number >= 0, got ${form.cpu.trim() || 'nothing'}`;
    else changes.cpu = cpu;
  }
  const mem = parseNumber(form.mem);
  if (mem !== p.mem) {
    dirty.push('mem');
    if (mem === null || !(mem > 0) || !Number.isFinite(mem)) errors.mem = `mem must be a number of GB > 0, got ${form.mem.trim() || 'nothing'}`;
    else changes.mem = mem;
  }
  const gpu = parseNumber(form.gpu);
  if (gpu !== p.gpu) {
    dirty.push('gpu');
    if (gpu === null || !Number.isInteger(gpu) || gpu < 0) errors.gpu = `gpu must be a whole number >= 0, got ${form.gpu.trim() || 'nothing'}`;
    else changes.gpu = gpu;
  }
  const maxTime = parseSeconds(form.max_time);
  if (maxTime !== p.max_time) {
    dirty.push('max_time');
    if (maxTime === null || !(maxTime > 0) || !Number.isFinite(maxTime)) errors.max_time = `max_time must be seconds > 0 (or 30m, 2h), got ${form.max_time.trim() || 'nothing'}`;
    else changes.max_time = maxTime;
  }
  const imageName = form.image.trim();
  if (imageName !== (p.image?.name ?? '')) {
    dirty.push('image');
    const problem = imageName ? imageNameProblem(imageName) : null;
    if (problem) errors.image = `not a valid image name: ${problem}`;
    else changes.image = imageName ? imageWithName(p.image, imageName) : null;
  }
  const env = parseEnv(form.env);
  if (env.error) {
    dirty.push('env');
    errors.env = env.error;
  } else if (!sameEnv(env.env, p.env)) {
    dirty.push('env');
    changes.env = env.env;
  }
  if (form.skip !== node.skipped) {
    dirty.push('skip');
    changes.skip = form.skip;
  }
  return { changes, errors, dirty };
}

export function hasErrors(r: FormResult): boolean {
  return Object.keys(r.errors).length > 0;
}
