/** Splits `pipewright CMD ...` arguments: known flags, positionals, and `--name=value` pipeline args. */
export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string | true>;
  /** Unrecognised `--x=v` / `--x`: handed to the pipeline function. */
  passthrough: string[];
}

/** `flagsWithValue` take the next word (`--image IMG`) when not written `--image=IMG`. */
export function parseArgs(argv: readonly string[], known: readonly string[], flagsWithValue: readonly string[] = []): ParsedArgs {
  const parsed: ParsedArgs = { positionals: [], flags: new Map(), passthrough: [] };
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (!word.startsWith('--')) {
      parsed.positionals.push(word);
      continue;
    }
    const eq = word.indexOf('=');
    const name = eq === -1 ? word.slice(2) : word.slice(2, eq);
    if (!known.includes(name) && !flagsWithValue.includes(name)) {
      parsed.passthrough.push(word);
      continue;
    }
    if (eq !== -1) parsed.flags.set(name, word.slice(eq + 1));
    else if (flagsWithValue.includes(name)) {
      const value = argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      parsed.flags.set(name, value);
    } else parsed.flags.set(name, true);
  }
  return parsed;
}

/** Takes every `--NAME VALUE` / `--NAME=VALUE` of a repeatable flag out of argv. */
export function takeRepeated(argv: readonly string[], name: string): { values: string[]; rest: string[] } {
  const values: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === `--${name}`) {
      const value = argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      values.push(value);
    } else if (word.startsWith(`--${name}=`)) values.push(word.slice(name.length + 3));
    else rest.push(word);
  }
  return { values, rest };
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
