// A pipeline function's arguments as text: checked per parameter the way the SDK will read them
// (pipewright/callables.py parse_arg), turned into the command line's `--name=value` words and back
// into something short to show. Plain TypeScript (no vscode): unit-tested.
import type { PipelineParameter } from '../../protocol/lsp';

export { callText, describeArguments } from '../../presentation/arguments';

/** What a parameter's kind looks like, for prompts and messages. */
export function kindText(p: PipelineParameter): string {
  if (p.kind === 'list') return p.element ? `list of ${p.element}` : 'list';
  if (p.kind === 'custom') return p.type ?? 'custom';
  return p.kind;
}

const INT = /^[+-]?\d+(?:_\d+)*$/;
const FLOAT = /^[+-]?(?:(?:\d+(?:_\d+)*)?\.?\d+(?:_\d+)*(?:[eE][+-]?\d+)?|\d+(?:_\d+)*\.|inf(?:inity)?|nan)$/i;
const BOOLS = ['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'];

function fitsElement(element: PipelineParameter['element'], item: unknown): boolean {
  switch (element) {
    case 'int':
      return typeof item === 'number' && Number.isInteger(item);
    case 'float':
      return typeof item === 'number';
    case 'bool':
      return typeof item === 'boolean';
    case 'str':
      return typeof item === 'string';
    default:
      return true;
  }
}

/**
 * Why `text` is no value for `p` (a message naming the parameter and an example), or undefined
 * when it is one. An empty text leaves an optional parameter to its default.
 */
export function argumentProblem(p: PipelineParameter, text: string): string | undefined {
  const value = text.trim();
  if (value === '') return p.required ? `${p.name} is required (${kindText(p)}): it has no default value` : undefined;
  switch (p.kind) {
    case 'int':
      return INT.test(value) ? undefined : `${p.name} must be a whole number (int), e.g. 42`;
    case 'float':
      return FLOAT.test(value) ? undefined : `${p.name} must be a number (float), e.g. 0.5 or 1e-3`;
    case 'bool':
      return BOOLS.includes(value.toLowerCase()) ? undefined : `${p.name} must be true or false (bool)`;
    case 'list': {
      const example = p.element === 'str' ? '["a", "b"]' : p.element === 'bool' ? '[true, false]' : '[1, 2]';
      let items: unknown;
      try {
        items = JSON.parse(value);
      } catch {
        items = undefined;
      }
      if (!Array.isArray(items) || !items.every((item) => fitsElement(p.element, item))) return `${p.name} must be a JSON list${p.element ? ` of ${p.element}` : ''}, e.g. ${example}`;
      return undefined;
    }
    default:
      // str takes any text; a custom type's from_str() judges its own (the run reports its error).
      return undefined;
  }
}

/** What an input box starts with: the value used last, else the default, else nothing. */
export function prefill(p: PipelineParameter, remembered: Readonly<Record<string, string>> | undefined): string {
  return remembered?.[p.name] ?? p.default ?? '';
}

/**
 * The command-line words for the values entered (by parameter name): `--name=value`, in the
 * function's order; an empty optional one is left out (the function's own default applies).
 */
export function argumentWords(params: readonly PipelineParameter[], values: Readonly<Record<string, string>>): string[] {
  const words: string[] = [];
  for (const p of params) {
    const text = values[p.name];
    if (text === undefined || (text.trim() === '' && !p.required)) continue;
    // Text keeps its spaces (a str); the SDK reads numbers and bools itself, spaces allowed.
    words.push(`--${p.name}=${p.kind === 'str' || p.kind === 'custom' ? text : text.trim()}`);
  }
  return words;
}

/** A function's signature for the sidebar: `n: int, name: str = 'x'`. */
export function signatureText(params: readonly PipelineParameter[]): string {
  return params.map((p) => `${p.name}: ${kindText(p)}${p.default !== undefined ? ` = ${p.default}` : p.required ? '' : ' = …'}`).join(', ');
}

// ---- a whole command line ("Run with Arguments…") ----------------------------------------------

/** Words of a command line as a POSIX shell splits them ('…', "…", \ escapes); an error on an open quote. */
export function splitCommandLine(line: string): { words: string[] } | { error: string } {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return { error: `a quote (') opened at column ${i + 1} is not closed` };
      word += line.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && j + 1 < line.length && '"\\$`'.includes(line[j + 1]!)) j++;
        word += line[j];
      }
      if (j >= line.length) return { error: `a quote (") opened at column ${i + 1} is not closed` };
      i = j;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return { words };
}

/** The command line of some words, quoted only where needed (the inverse of splitCommandLine). */
export function joinCommandLine(words: readonly string[]): string {
  return words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}
