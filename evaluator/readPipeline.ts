import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import {
  PIPELINE_FORMAT_VERSION,
  type PipelineDocument,
  type PipelineHeader,
  type PipelineNode,
} from '../protocol/pipeline';
import { checkNodeCallbacks } from '../protocol/nodeCallbacks';
import { plainExecNode } from './plainExecLine';

export class PipelineFormatError extends Error {
  constructor(
    where: string,
    /** What is wrong, without where. */
    readonly detail: string,
    /** The text stopped early (nothing, or no closing `]}`): whoever wrote it ended first. */
    readonly incomplete = false,
  ) {
    super(`${where}: ${detail}`);
    this.name = 'PipelineFormatError';
  }
}

const NODE_TYPES = new Set(['Serial', 'Parallel', 'Exec', 'Lazy']);

function checkHeader(header: PipelineHeader, where: string): void {
  if (header.pipewright !== PIPELINE_FORMAT_VERSION) {
    throw new PipelineFormatError(where, `unsupported pipeline format version ${String(header.pipewright)} (this Pipewright reads ${PIPELINE_FORMAT_VERSION})`);
  }
}

/** The node as it is, or a PipelineFormatError naming where it is (`line`: named only then, not a string per node). */
function checkNode(node: PipelineNode, where: string, line?: number): PipelineNode {
  const problem = nodeProblem(node);
  if (problem) throw new PipelineFormatError(line === undefined ? where : `${where}:${line}`, problem);
  return node;
}

/** What is wrong with a node, or null. */
function nodeProblem(node: PipelineNode): string | null {
  if (typeof node?.path !== 'string' || !node.path.startsWith('/')) return 'node without a valid "path"';
  if (!NODE_TYPES.has(node.type)) return `node ${node.path} has unknown type ${String(node.type)}`;
  if (node.type === 'Exec' && typeof node.command !== 'string') return `Exec node ${node.path} has no command`;
  if (typeof node.params !== 'object' || node.params === null) return `node ${node.path} has no params`;
  if (node.callbacks !== undefined) {
    const checked = checkNodeCallbacks(node.callbacks);
    if (!checked.ok) return `node ${node.path} has invalid callbacks: ${checked.error}`;
  }
  return null;
}

/**
 * A shortened node line made whole (the store writes them: docs/pipeline-json.md): no `params`, the
 * node before it's; no `parents`, none; a `source` without `file`, the document's file.
 */
function lengthened(node: PipelineNode, before: PipelineNode | undefined, header: PipelineHeader): PipelineNode {
  if (typeof node !== 'object' || node === null) return node;
  if (node.params === undefined && before) node.params = before.params;
  node.parents ??= [];
  if (node.source && node.source.file === undefined) node.source.file = header.file;
  return node;
}

/** Parses a whole pipeline JSON document held in memory (small pipelines, LSP, tests). */
export function parsePipeline(text: string, where = 'pipeline JSON'): PipelineDocument {
  let doc: PipelineDocument;
  try {
    doc = JSON.parse(text) as PipelineDocument;
  } catch (err) {
    throw new PipelineFormatError(where, `not valid JSON (${(err as Error).message})`);
  }
  checkHeader(doc, where);
  if (!Array.isArray(doc.nodes) || doc.nodes.length === 0) throw new PipelineFormatError(where, 'no nodes');
  doc.nodes.forEach((n, i) => checkNode(lengthened(n, doc.nodes[i - 1], doc), where));
  return doc;
}

/**
 * Reads the line-per-node layout without ever holding the whole text: a million-node pipeline is
 * hundreds of MB, more than one V8 string should carry.
 */
export async function readPipelineStream(input: Readable, where = 'pipeline JSON'): Promise<PipelineDocument> {
  const batches = linesOf(input);
  const shared = new SharedParts();
  let header: PipelineHeader | undefined;
  const nodes: PipelineNode[] = [];
  let lineNo = 0;
  let ended = false;
  for await (const batch of batches) for (let i = 0; i < batch.length; i++) {
    const raw = batch[i]!;
    lineNo++;
    const line = raw.trim();
    if (line === '') continue;
    if (!header) {
      if (!line.endsWith('"nodes": [') && !line.endsWith('"nodes":[')) {
        // Not the streaming layout (e.g. pretty-printed by hand): fall back to a whole parse.
        const rest = batch.slice(i);
        for await (const more of batches) rest.push(...more);
        return parsePipeline(rest.join('\n'), where);
      }
      try {
        header = JSON.parse(line.replace(/"nodes":\s*\[$/, '"nodes": []}')) as PipelineHeader;
      } catch (err) {
        throw new PipelineFormatError(`${where}:${lineNo}`, `bad header (${(err as Error).message})`);
      }
      checkHeader(header, `${where}:${lineNo}`);
      continue;
    }
    if (line === ']}') {
      ended = true;
      continue;
    }
    if (ended) throw new PipelineFormatError(`${where}:${lineNo}`, 'text after the end of the document');
    const before = nodes[nodes.length - 1];
    const plain = before && plainExecNode(line, before, header.file);
    if (plain) {
      nodes.push(shared.node(plain));
      continue;
    }
    const json = line.endsWith(',') ? line.slice(0, -1) : line;
    try {
      nodes.push(shared.node(checkNode(lengthened(JSON.parse(json) as PipelineNode, before, header), where, lineNo)));
    } catch (err) {
      if (err instanceof PipelineFormatError) throw err;
      throw new PipelineFormatError(`${where}:${lineNo}`, `bad node (${(err as Error).message})`);
    }
  }
  if (!header) throw new PipelineFormatError(where, 'empty document', true);
  if (!ended) throw new PipelineFormatError(where, 'truncated document (no closing "]}")', true);
  if (nodes.length === 0) throw new PipelineFormatError(where, 'no nodes');
  return { ...header, nodes };
}

/** The text's lines, without their newlines, a chunk's worth at a time (one await per line costs a second per million). */
async function* linesOf(input: Readable): AsyncGenerator<string[]> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  for await (const chunk of input) {
    const text = pending + (typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer));
    const lines = text.split('\n');
    pending = lines.pop()!;
    yield lines;
  }
  const last = pending + decoder.end();
  if (last) yield [last];
}

/**
 * One object for equal parts of many nodes: the params (a thousand siblings usually have the same),
 * the definition's file name, empty lists. Nothing changes these in place (a modify makes new
 * params), so sharing them is safe; at a million nodes it is most of the tree's memory.
 */
class SharedParts {
  private readonly params = new Map<string, PipelineNode['params']>();
  private readonly files = new Map<string, string>();
  /** Frozen: a push into a shared list would fail loudly rather than change every node. */
  private static readonly EMPTY = Object.freeze([]) as unknown as string[];

  /** The params of the node before (a shortened line took them as they are). */
  private lastParams: PipelineNode['params'] | undefined;
  private lastSource: PipelineNode['source'] | undefined;

  node(node: PipelineNode): PipelineNode {
    if (node.params !== this.lastParams) {
      const key = JSON.stringify(node.params);
      const params = this.params.get(key);
      if (params) node.params = params;
      else if (this.params.size < 10_000) this.params.set(key, node.params);
      this.lastParams = node.params;
    }
    const source = node.source;
    if (source) {
      const before = this.lastSource;
      // Siblings made in a loop share a line: one object for them (a million fewer to keep).
      if (before && source.line === before.line && source.file === before.file) node.source = before;
      else {
        const file = this.files.get(source.file) ?? source.file;
        this.files.set(file, file);
        source.file = file;
        this.lastSource = source;
      }
    }
    if (node.parents?.length === 0) node.parents = SharedParts.EMPTY;
    if (node.set?.length === 0) node.set = SharedParts.EMPTY as PipelineNode['set'];
    return node;
  }
}

export function readPipelineFile(file: string): Promise<PipelineDocument> {
  return readPipelineStream(createReadStream(file), file);
}
