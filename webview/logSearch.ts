// Counting find matches in the terminal's buffer (the search addon's own count needs match
// decorations). Pure.

/** Where `query` occurs (case-insensitive) in lines: [line, column] pairs, at most `max`. */
export function findAll(lineCount: number, line: (i: number) => string, query: string, max = 10_000): [number, number][] {
  const out: [number, number][] = [];
  if (!query) return out;
  const q = query.toLowerCase();
  for (let i = 0; i < lineCount && out.length < max; i++) {
    const text = line(i).toLowerCase();
    for (let at = text.indexOf(q); at !== -1 && out.length < max; at = text.indexOf(q, at + 1)) out.push([i, at]);
  }
  return out;
}
