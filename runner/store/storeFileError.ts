import { readFileSync } from 'node:fs';

/** A store file that cannot be used as it is: the message names the file (and line) and what is wrong. */
export class StoreFileError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
    readonly line?: number,
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${problem}`);
  }
}

/** Parses a JSON file of the store; an empty or unparsable one throws a StoreFileError naming it. */
export function readJsonFile(file: string): unknown {
  const text = readFileSync(file, 'utf8');
  if (!text.trim()) throw new StoreFileError(file, 'the file is empty (a write to it was cut short)');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new StoreFileError(file, `not JSON (${(err as Error).message})`);
  }
}
