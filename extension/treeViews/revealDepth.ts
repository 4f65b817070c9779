/** Rows past which a started run opens one level only: expanding 100 Parallels of 1,000 is not "at once". */
const REVEAL_ROWS = 500;

/** How many levels of a new run to expand in the view: two when that stays a screenful or so. */
export function revealDepth(root: { children: readonly { children: readonly unknown[] }[] }): 1 | 2 {
  let rows = root.children.length;
  for (const child of root.children) rows += child.children.length;
  return rows <= REVEAL_ROWS ? 2 : 1;
}
