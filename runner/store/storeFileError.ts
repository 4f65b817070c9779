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
