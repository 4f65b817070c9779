// The graph tab's layout: the children of one container as a layered left-to-right graph. With
// DAG edges (`parents`), layer = longest path from a node without parents, long edges pass through
// dummy points, and a few barycenter sweeps order each layer to cut crossings. Without edges the
// container's own structure: Serial/Lazy children chained, Parallel children stacked. Pure (no DOM).
import type { NodeType } from '../protocol/pipeline';

export interface GraphInput {
  path: string;
  /** Paths of siblings that must finish first; others (outside the set) are ignored. */
  parents?: readonly string[];
}

export interface Point {
  x: number;
  y: number;
}

export interface GraphBox {
  path: string;
  x: number;
  y: number;
  w: number;
  h: number;
  layer: number;
}

export interface GraphEdge {
  from: string;
  to: string;
  /** From the source's right edge to the target's left edge, through the layers between. */
  points: Point[];
  /** Drawn from the container's structure (Serial order), not from `parents`. */
  implicit: boolean;
}

export type GraphMode = 'dag' | 'chain' | 'stack';

export interface GraphLayout {
  mode: GraphMode;
  boxes: GraphBox[];
  edges: GraphEdge[];
  width: number;
  height: number;
  /** Children left out by the cap. */
  omitted: number;
}

export interface LayoutOptions {
  boxW?: number;
  boxH?: number;
  /** Horizontal space between layers. */
  gapX?: number;
  /** Vertical space between boxes of a layer. */
  gapY?: number;
  margin?: number;
  maxNodes?: number;
  /** Barycenter sweeps (down and up each). */
  sweeps?: number;
}

export const MAX_GRAPH_NODES = 2000;
const DUMMY_H = 6;

/** An item of a layer: a node (index into the inputs) or a point of a long edge. */
interface Slot {
  node: number; // -1 for a dummy
  /** Dummies: the edge they belong to. */
  edge: number;
  ins: Slot[];
  outs: Slot[];
  pos: number;
  y: number;
  h: number;
}

export function layoutGraph(all: readonly GraphInput[], containerType: NodeType, opts: LayoutOptions = {}): GraphLayout {
  const boxW = opts.boxW ?? 168;
  const boxH = opts.boxH ?? 40;
  const gapX = opts.gapX ?? 56;
  const gapY = opts.gapY ?? 14;
  const margin = opts.margin ?? 16;
  const max = opts.maxNodes ?? MAX_GRAPH_NODES;
  const sweeps = opts.sweeps ?? 2;

  const nodes = all.length > max ? all.slice(0, max) : all;
  const omitted = all.length - nodes.length;
  const n = nodes.length;
  const at = new Map<string, number>();
  nodes.forEach((node, i) => at.set(node.path, i));

  // Edges between nodes shown, once each, no self loops.
  const edges: { from: number; to: number; implicit: boolean }[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    for (const p of nodes[i]!.parents ?? []) {
      const j = at.get(p);
      if (j === undefined || j === i || seen.has(`${j}>${i}`)) continue;
      seen.add(`${j}>${i}`);
      edges.push({ from: j, to: i, implicit: false });
    }
  }
  let mode: GraphMode = 'dag';
  if (!edges.length) {
    if (containerType === 'Parallel') mode = 'stack';
    else {
      mode = 'chain';
      for (let i = 1; i < n; i++) edges.push({ from: i - 1, to: i, implicit: true });
    }
  }

  const preds: number[][] = Array.from({ length: n }, () => []);
  const succs: number[][] = Array.from({ length: n }, () => []);
  for (const e of edges) {
    preds[e.to]!.push(e.from);
    succs[e.from]!.push(e.to);
  }

  // Layers: longest path, in topological order (Kahn). Nodes on a cycle never reach in-degree 0:
  // they are placed afterwards, in input order, after whichever of their parents have a layer.
  const layer = new Array<number>(n).fill(-1);
  const indeg = preds.map((p) => p.length);
  const queue: number[] = [];
  for (let i = 0; i < n; i++) if (indeg[i] === 0) queue.push(i);
  for (let q = 0; q < queue.length; q++) {
    const i = queue[q]!;
    let l = 0;
    for (const p of preds[i]!) l = Math.max(l, layer[p]! + 1);
    layer[i] = l;
    for (const s of succs[i]!) if (--indeg[s]! === 0) queue.push(s);
  }
  for (let i = 0; i < n; i++) {
    if (layer[i] !== -1) continue;
    let l = 0;
    for (const p of preds[i]!) if (layer[p]! >= 0) l = Math.max(l, layer[p]! + 1);
    layer[i] = l;
  }
  const layerCount = n ? Math.max(...layer) + 1 : 0;

  // Slots per layer: nodes in input order, then dummies for edges spanning several layers.
  const layers: Slot[][] = Array.from({ length: layerCount }, () => []);
  const slotOf: Slot[] = [];
  for (let i = 0; i < n; i++) {
    const s: Slot = { node: i, edge: -1, ins: [], outs: [], pos: 0, y: 0, h: boxH };
    slotOf.push(s);
    layers[layer[i]!]!.push(s);
  }
  const chains: Slot[][] = []; // per edge: the slots it passes through, source to target
  edges.forEach((e, k) => {
    const a = slotOf[e.from]!;
    const b = slotOf[e.to]!;
    const chain = [a];
    // Backward or flat edges (only on a cycle) get no dummies and take no part in ordering.
    if (layer[e.to]! > layer[e.from]!) {
      let prev = a;
      for (let l = layer[e.from]! + 1; l < layer[e.to]!; l++) {
        const d: Slot = { node: -1, edge: k, ins: [prev], outs: [], pos: 0, y: 0, h: DUMMY_H };
        prev.outs.push(d);
        layers[l]!.push(d);
        chain.push(d);
        prev = d;
      }
      prev.outs.push(b);
      b.ins.push(prev);
    }
    chain.push(b);
    chains.push(chain);
  });

  // Crossing reduction: barycenters against the previous layer going down, the next going up.
  const number = (ls: Slot[]) => ls.forEach((s, i) => (s.pos = i));
  layers.forEach(number);
  const order = (ls: Slot[], side: 'ins' | 'outs') => {
    const bary = new Map<Slot, number>();
    for (const s of ls) {
      const nb = s[side];
      bary.set(s, nb.length ? nb.reduce((t, x) => t + x.pos, 0) / nb.length : s.pos);
    }
    // Stable: ties keep the current order.
    ls.sort((a, b) => bary.get(a)! - bary.get(b)! || a.pos - b.pos);
    number(ls);
  };
  for (let k = 0; k < sweeps && edges.length; k++) {
    for (let l = 1; l < layerCount; l++) order(layers[l]!, 'ins');
    for (let l = layerCount - 2; l >= 0; l--) order(layers[l]!, 'outs');
  }

  // Coordinates: layers left to right, each stacked top to bottom and centred on the tallest.
  const heightOf = (ls: Slot[]) => ls.reduce((t, s) => t + s.h, 0) + Math.max(0, ls.length - 1) * gapY;
  const tallest = layers.reduce((m, ls) => Math.max(m, heightOf(ls)), 0);
  layers.forEach((ls) => {
    let y = margin + (tallest - heightOf(ls)) / 2;
    for (const s of ls) {
      s.y = y;
      y += s.h + gapY;
    }
  });
  const xOf = (l: number) => margin + l * (boxW + gapX);

  const boxes: GraphBox[] = [];
  for (const ls of layers) for (const s of ls) if (s.node >= 0) boxes.push({ path: nodes[s.node]!.path, x: xOf(layer[s.node]!), y: s.y, w: boxW, h: boxH, layer: layer[s.node]! });

  const out: GraphEdge[] = edges.map((e, k) => {
    const chain = chains[k]!;
    const a = slotOf[e.from]!;
    const b = slotOf[e.to]!;
    const points: Point[] = [{ x: xOf(layer[e.from]!) + boxW, y: a.y + boxH / 2 }];
    chain.slice(1, -1).forEach((d, i) => {
      const l = layer[e.from]! + 1 + i;
      points.push({ x: xOf(l), y: d.y + d.h / 2 }, { x: xOf(l) + boxW, y: d.y + d.h / 2 });
    });
    points.push({ x: xOf(layer[e.to]!), y: b.y + boxH / 2 });
    return { from: nodes[e.from]!.path, to: nodes[e.to]!.path, points, implicit: e.implicit };
  });

  return {
    mode,
    boxes,
    edges: out,
    width: layerCount ? xOf(layerCount - 1) + boxW + margin : 0,
    height: layerCount ? tallest + 2 * margin : 0,
    omitted,
  };
}

/** What the graph needs of the node index. */
export interface GraphSource {
  get(path: string): { type: NodeType; parents?: readonly string[] } | undefined;
  childrenOf(path: string): readonly string[];
}

/**
 * The container the graph draws: the selected node if it has children, else the selected node's
 * container (a leaf's parent), else the root.
 */
export function graphContainer(index: GraphSource, selected: string | null): string {
  if (!selected || !index.get(selected)) return '/';
  if (index.childrenOf(selected).length) return selected;
  const cut = selected.lastIndexOf('/');
  const parent = selected === '/' ? '/' : cut <= 0 ? '/' : selected.slice(0, cut);
  return index.get(parent) ? parent : '/';
}

/** The children of `container` with their edges, as the layout takes them. */
export function graphInputs(index: GraphSource, container: string): GraphInput[] {
  return index.childrenOf(container).map((path) => {
    const parents = index.get(path)?.parents;
    return parents?.length ? { path, parents } : { path };
  });
}
