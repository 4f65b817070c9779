import { parseArgs as parseTokens } from 'node:util';

/** How a command's flag is written: `--json`, `--image IMG`, or `--param N=V` given any number of times. */
export type FlagKind = 'boolean' | 'string' | 'repeated';

export interface ArgSpec {
  flags: Readonly<Record<string, FlagKind>>;
  /**
   * Unknown `--x` / `--x=v` words are the pipeline function's arguments (`tree`, `run`), handed to
   * the SDK as written, as is every word after `--`. Without it an unknown flag is a usage error.
   */
  passthrough?: boolean;
  /**
   * With passthrough: how many bare words are the command's own (`tree FILE`); later bare words
   * go to the pipeline in the order written, among its flags (`FUNC 200 --name x`).
   */
  ownPositionals?: number;
}

/** A command line split into positionals, the command's own flags and the pipeline's arguments. */
export class ParsedArgs {
  constructor(
    readonly positionals: readonly string[],
    private readonly given: ReadonlyMap<string, readonly string[] | true>,
    /** Handed to the pipeline function (see ArgSpec.passthrough). */
    readonly passthrough: readonly string[] = [],
  ) {}

  /** A boolean flag was given. */
  has(name: string): boolean {
    return this.given.has(name);
  }

  /** A value flag's value; the last one when it was given twice. */
  value(name: string): string | undefined {
    return this.values(name).at(-1);
  }

  /** Every value of a repeatable flag, in order. */
  values(name: string): readonly string[] {
    const given = this.given.get(name);
    return given === true || given === undefined ? [] : given;
  }

  /** A number flag's value; one that is not a number `accept` takes is a usage error naming the flag. */
  number(name: string, accept: (n: number) => boolean, expected: string): number | undefined {
    const text = this.value(name);
    if (text === undefined) return undefined;
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n) || !accept(n)) throw new UsageError(`--${name} needs ${expected}, got ${JSON.stringify(text)}`);
    return n;
  }
}

/**
 * Parses with node's `util.parseArgs`, not strict: its strict mode would refuse the pipeline's own
 * flags and values that start with a dash (`--mem -2` must reach the runner, which explains what is
 * wrong with it), so this checks the command's flags itself. Words with a single dash (`-x`) stay
 * positionals, as the command's usage then reports.
 */
export function parseArgs(argv: readonly string[], spec: ArgSpec): ParsedArgs {
  const options = Object.fromEntries(Object.entries(spec.flags).map(([name, kind]) => [name, kind === 'boolean' ? { type: 'boolean' as const } : { type: 'string' as const, multiple: kind === 'repeated' }]));
  const { tokens } = parseTokens({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const positionals: string[] = [];
  const passthrough: string[] = [];
  const given = new Map<string, string[] | true>();
  let afterTerminator = false;
  let lastShortIndex = -1;
  const bare = (word: string) => {
    const own = !spec.passthrough || spec.ownPositionals === undefined || positionals.length < spec.ownPositionals;
    (own ? positionals : passthrough).push(word);
  };
  for (const token of tokens) {
    if (token.kind === 'option-terminator') {
      afterTerminator = true;
    } else if (token.kind === 'positional') {
      if (afterTerminator && spec.passthrough) passthrough.push(token.value);
      else bare(token.value);
    } else if (!token.rawName.startsWith('--')) {
      // `-abc` comes as one token per letter, all with the word's index.
      if (token.index !== lastShortIndex) bare(argv[token.index]!);
      lastShortIndex = token.index;
    } else {
      const kind = Object.hasOwn(spec.flags, token.name) ? spec.flags[token.name] : undefined;
      if (kind === undefined) {
        if (!spec.passthrough) throw new UsageError(`unknown option ${token.rawName}`);
        passthrough.push(argv[token.index]!);
      } else if (kind === 'boolean') {
        if (token.value !== undefined) throw new UsageError(`--${token.name} takes no value, got ${JSON.stringify(token.value)}`);
        given.set(token.name, true);
      } else {
        if (token.value === undefined) throw new UsageError(`--${token.name} needs a value`);
        const earlier = given.get(token.name);
        given.set(token.name, kind === 'repeated' && Array.isArray(earlier) ? [...earlier, token.value] : [token.value]);
      }
    }
  }
  return new ParsedArgs(positionals, given, passthrough);
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
