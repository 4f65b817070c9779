import { type CancellationToken, type DocumentSymbol, type DocumentSymbolParams, Range, SymbolKind } from 'vscode-languageserver/node';
import type { PipelineEntry } from '../../protocol/lsp';
import { type NodeType, nodeName, parentPath, type PipelineDocument, ROOT_PATH } from '../../protocol/pipeline';
import { samePath } from './definitionDetector';
import type { DocumentStore, Snapshot } from './documentModel';
import type { OutlineSymbol } from '../../evaluator/evaluator';
import type { SourceLines } from './sourceText';

/** Beyond this many nodes per document the outline stops (an outline of 100 000 nodes helps nobody). */
export const MAX_SYMBOL_NODES = 5000;
/**
 * Nor does it go deeper than this below a pipeline's root: symbols travel as nested JSON, which
 * JSON.stringify cannot write past a few thousand levels (a pipeline built deep in a loop).
 */
export const MAX_SYMBOL_DEPTH = 100;

const KIND: Record<NodeType, SymbolKind> = {
  Serial: SymbolKind.Array,
  Parallel: SymbolKind.Struct,
  Lazy: SymbolKind.Constructor,
  Exec: SymbolKind.Event,
};

/** A symbol being built: lines are 0-based; first..last spans its own line and its children's. */
interface Draft {
  name: string;
  kind: SymbolKind;
  detail?: string;
  line: number;
  first: number;
  last: number;
  children: Draft[];
}

/**
 * Document symbols: pipeline functions at the top, their nodes nested by path at the lines that
 * created them; a module-level tree's root at the top. Untrusted: the ast outline's symbols.
 */
export class DocumentSymbolProvider {
  constructor(private readonly store: DocumentStore) {}

  async provide(params: DocumentSymbolParams, token: CancellationToken): Promise<DocumentSymbol[]> {
    const snapshot = await this.store.current(params.textDocument.uri, token);
    if (!snapshot?.isDefinition) return [];
    const drafts = snapshot.trusted ? fromEvaluation(snapshot) : (snapshot.outline ?? []).map((s) => fromOutline(s, snapshot.source));
    return drafts.sort((a, b) => a.line - b.line).map((d) => toSymbol(d, snapshot.source));
  }
}

function fromEvaluation(snapshot: Snapshot): Draft[] {
  const budget = { left: MAX_SYMBOL_NODES };
  const out: Draft[] = [];
  for (const entry of snapshot.pipelines) {
    const line0 = snapshot.source.clamp(entry.line - 1);
    const isFunction = snapshot.source.isFunctionLine(entry.line, entry.name);
    const root = entry.document ? nodeTree(entry.document, line0, snapshot, budget) : undefined;
    if (!isFunction) {
      if (root) out.push(root);
      continue;
    }
    const end0 = snapshot.source.functionEnd(entry.line) - 1;
    const fn: Draft = { name: entry.name, kind: SymbolKind.Function, detail: functionDetail(entry), line: line0, first: line0, last: end0, children: [] };
    if (root) {
      fn.children.push(root);
      fn.first = Math.min(fn.first, root.first);
      fn.last = Math.max(fn.last, root.last);
    }
    out.push(fn);
  }
  return out;
}

function functionDetail(entry: PipelineEntry): string {
  const tags = ['pipeline'];
  if (entry.default) tags.push('default');
  if (entry.error && !entry.document) tags.push(entry.error.message.includes('needs --') ? 'needs arguments' : 'fails');
  return tags.join(', ');
}

/** The document's nodes as nested drafts; a node made in another file sits at its parent's line. */
function nodeTree(doc: PipelineDocument, fallback0: number, snapshot: Snapshot, budget: { left: number }): Draft | undefined {
  const byPath = new Map<string, Draft>();
  const depth = new Map<Draft, number>();
  let root: Draft | undefined;
  const order: Array<[Draft, Draft | undefined]> = [];
  for (const node of doc.nodes) {
    const parentDraft = node.path === ROOT_PATH ? undefined : byPath.get(parentPath(node.path) ?? ROOT_PATH);
    if (node.path !== ROOT_PATH && !parentDraft) continue; // under a node cut by the budget or the depth
    const level = parentDraft ? depth.get(parentDraft)! + 1 : 0;
    if (budget.left <= 0 || level > MAX_SYMBOL_DEPTH) continue;
    budget.left--;
    const here = node.source?.line && node.source.file && snapshot.file && samePath(node.source.file, snapshot.file);
    const line = here ? snapshot.source.clamp(node.source.line - 1) : (parentDraft?.line ?? fallback0);
    const command = node.command ? ` ${firstLine(node.command)}` : '';
    const draft: Draft = { name: nodeName(node.path), kind: KIND[node.type] ?? SymbolKind.Object, detail: `${node.type}${command}`, line, first: line, last: line, children: [] };
    byPath.set(node.path, draft);
    depth.set(draft, level);
    if (parentDraft) parentDraft.children.push(draft);
    else root = draft;
    order.push([draft, parentDraft]);
  }
  // Pre-order reversed: every child is folded into its parent's span before the parent into its own.
  for (let i = order.length - 1; i >= 0; i--) {
    const [draft, parent] = order[i]!;
    if (parent) {
      parent.first = Math.min(parent.first, draft.first);
      parent.last = Math.max(parent.last, draft.last);
    }
  }
  return root;
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

function fromOutline(symbol: OutlineSymbol, source: SourceLines): Draft {
  const line = source.clamp(symbol.line - 1);
  const draft: Draft = {
    name: symbol.name,
    kind: symbol.kind === 'function' ? SymbolKind.Function : (KIND[symbol.type as NodeType] ?? SymbolKind.Object),
    detail: symbol.detail,
    line,
    first: line,
    last: source.clamp((symbol.endLine || symbol.line) - 1),
    children: symbol.children.map((c) => fromOutline(c, source)),
  };
  for (const child of draft.children) {
    draft.first = Math.min(draft.first, child.first);
    draft.last = Math.max(draft.last, child.last);
  }
  return draft;
}

function toSymbol(draft: Draft, source: SourceLines): DocumentSymbol {
  const range: Range = source.span(draft.first, draft.last);
  const symbol: DocumentSymbol = {
    name: draft.name || '?',
    kind: draft.kind,
    range,
    selectionRange: source.trimmedLine(draft.line),
    children: draft.children.map((c) => toSymbol(c, source)),
  };
  if (draft.detail) symbol.detail = draft.detail;
  return symbol;
}
