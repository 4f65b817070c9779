// A small line diff (LCS) for "as run" against "now". Pure.

export type DiffOp = { op: 'same' | 'add' | 'del'; text: string };

/** Lines longer than this many in total fall back to a plain replace (the table is quadratic). */
const MAX_CELLS = 4_000_000;

export function diffLines(before: string, after: string): DiffOp[] {
  return diffTokens(before.split('\n'), after.split('\n'));
}

export function diffTokens(a: readonly string[], b: readonly string[]): DiffOp[] {
  // Common head and tail first: most edits touch one spot.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  const out: DiffOp[] = a.slice(0, head).map((text) => ({ op: 'same', text }));
  if (midA.length * midB.length > MAX_CELLS) {
    out.push(...midA.map((text) => ({ op: 'del' as const, text })), ...midB.map((text) => ({ op: 'add' as const, text })));
  } else {
    const n = midA.length;
    const m = midB.length;
    // lcs[i][j]: LCS length of midA[i..] and midB[j..].
    const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i]![j] = midA[i] === midB[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && midA[i] === midB[j]) {
        out.push({ op: 'same', text: midA[i]! });
        i++;
        j++;
      } else if (j < m && (i >= n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
        out.push({ op: 'add', text: midB[j++]! });
      } else {
        out.push({ op: 'del', text: midA[i++]! });
      }
    }
  }
  out.push(...a.slice(a.length - tail).map((text) => ({ op: 'same' as const, text })));
  return out;
}

/** Word-level changes inside a one-line command read better than a whole-line swap. */
export function diffWords(before: string, after: string): DiffOp[] {
  // Whitespace rides with the word before it: lone spaces would match everywhere and chop a
  // rewritten phrase into alternating single words.
  const split = (s: string) => s.match(/\S+\s*|\s+/g) ?? [];
  const joined = diffTokens(split(before), split(after));
  // Each changed stretch reads as one deletion then one insertion.
  const out: DiffOp[] = [];
  let del = '';
  let add = '';
  const flush = () => {
    if (del) out.push({ op: 'del', text: del });
    if (add) out.push({ op: 'add', text: add });
    del = add = '';
  };
  for (const d of joined) {
    if (d.op === 'del') del += d.text;
    else if (d.op === 'add') add += d.text;
    else {
      flush();
      const last = out[out.length - 1];
      if (last?.op === 'same') last.text += d.text;
      else out.push({ ...d });
    }
  }
  flush();
  return out;
}

export function isUnchanged(ops: readonly DiffOp[]): boolean {
  return ops.every((d) => d.op === 'same');
}
