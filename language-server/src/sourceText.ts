import { Range } from 'vscode-languageserver/node';

/** A document's text split into lines once, with the position helpers the providers share. */
export class SourceLines {
  readonly lines: string[];

  constructor(text: string) {
    this.lines = text.split(/\r?\n/);
  }

  get count(): number {
    return this.lines.length;
  }

  /** 0-based line, clamped into the document. */
  clamp(line0: number): number {
    return Math.max(0, Math.min(this.lines.length - 1, line0));
  }

  text(line0: number): string {
    return this.lines[this.clamp(line0)] ?? '';
  }

  /** The line from its first to its last non-blank character (0-based line). */
  trimmedLine(line0: number): Range {
    const l = this.clamp(line0);
    const text = this.text(l);
    const start = text.length - text.trimStart().length;
    const end = text.trimEnd().length;
    return Range.create(l, start, l, Math.max(end, start));
  }

  /** The whole of lines first..last (0-based, inclusive). */
  span(first0: number, last0: number): Range {
    const a = this.clamp(first0);
    const b = Math.max(a, this.clamp(last0));
    return Range.create(a, 0, b, this.text(b).length);
  }

  /**
   * Where an error points: line and column are 1-based as the SDK reports them. Column 1 (or none
   * known) marks the statement's line; a column inside marks the word (call, name) there.
   */
  errorRange(line1: number, column1: number): Range {
    const l = this.clamp(line1 - 1);
    const text = this.text(l);
    const col = column1 - 1;
    const indent = text.length - text.trimStart().length;
    if (col <= indent || col >= text.length) return this.trimmedLine(l);
    const word = /^[\w.]+/.exec(text.slice(col));
    const end = word ? col + word[0].length : Math.min(text.length, col + 1);
    return Range.create(l, col, l, end);
  }

  /**
   * Last line (1-based) of the function whose `def` (or first decorator) is on line1: the lines
   * after it indented deeper, blank and comment lines included, trailing blank lines left out.
   */
  functionEnd(line1: number): number {
    let def = this.clamp(line1 - 1);
    while (def < this.lines.length - 1 && /^\s*@/.test(this.text(def))) def++;
    const indent = indentOf(this.text(def));
    let last = def;
    for (let l = def + 1; l < this.lines.length; l++) {
      const text = this.lines[l]!;
      if (!text.trim() || /^\s*#/.test(text)) continue;
      if (indentOf(text) <= indent) break;
      last = l;
    }
    return last + 1;
  }

  /** Is line1 a `def` (or a decorator of one)? False for a module-level node's line. */
  isFunctionLine(line1: number, name: string): boolean {
    let l = this.clamp(line1 - 1);
    while (l < this.lines.length - 1 && /^\s*@/.test(this.text(l))) l++;
    return new RegExp(`^\\s*(?:async\\s+)?def\\s+${name.replace(/[^\w]/g, '')}\\b`).test(this.text(l));
  }
}

function indentOf(text: string): number {
  return text.length - text.trimStart().length;
}
