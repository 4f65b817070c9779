// The image map: run an image a registry cannot give us (air-gapped, mirrored, or no registry at
// all) as another one the engine has. `FROM=TO` entries come from PIPEWRIGHT_IMAGE_MAP, the
// pipewright.imageMap setting and `--image-map` (later sources win for the same key). A key
// without tag or digest (`alpine`) stands for every tag and digest of that repository; a key with
// a tag or digest only for that reference. Docker's short names are understood: `alpine`,
// `library/alpine` and `docker.io/library/alpine` are one repository.
import { imageNameProblem } from '../../protocol/imageReference';
import { fromLines } from './dockerfile';

export interface ImageMapEntry {
  from: string;
  to: string;
  /** Where the entry was given, for messages: `PIPEWRIGHT_IMAGE_MAP`, `--image-map`, `the pipewright.imageMap setting`. */
  source: string;
}

/** One substitution made: the image asked for and the one used instead. */
export interface ImageMapping {
  from: string;
  to: string;
}

export class ImageMapError extends Error {
  override name = 'ImageMapError';
}

export const IMAGE_MAP_ENV = 'PIPEWRIGHT_IMAGE_MAP';
export const IMAGE_MAP_FLAG = '--image-map';
export const IMAGE_MAP_SETTING = 'the pipewright.imageMap setting';

interface Reference {
  /** Fully qualified: `docker.io/library/alpine`. */
  repository: string;
  tag: string | null;
  digest: string | null;
}

/** Splits a reference into its normalized parts; null for an image id (never mapped). */
function parseReference(ref: string): Reference | null {
  if (/^(?:sha256:)?[a-f0-9]{64}$/.test(ref)) return null;
  const at = ref.indexOf('@');
  const named = at < 0 ? ref : ref.slice(0, at);
  const digest = at < 0 ? null : ref.slice(at + 1);
  const colon = named.lastIndexOf(':');
  const tagged = colon > named.lastIndexOf('/');
  const tag = tagged ? named.slice(colon + 1) : null;
  let repository = tagged ? named.slice(0, colon) : named;
  const slash = repository.indexOf('/');
  const first = slash < 0 ? '' : repository.slice(0, slash);
  const hasDomain = first.includes('.') || first.includes(':') || first === 'localhost';
  if (!hasDomain) repository = `docker.io/${repository}`;
  repository = repository.replace(/^index\.docker\.io\//, 'docker.io/');
  if (/^docker\.io\/[^/]+$/.test(repository)) repository = repository.replace('docker.io/', 'docker.io/library/');
  return { repository, tag, digest };
}

/** The entries of one source, checked: a bad one throws an ImageMapError naming the source. */
export function checkEntries(entries: readonly { from: string; to: string }[], source: string): ImageMapEntry[] {
  const seen = new Map<string, string>();
  return entries.map(({ from, to }) => {
    const what = `${source}: entry "${from}=${to}"`;
    if (!from || !to) throw new ImageMapError(`${what} is not FROM=TO (an image name on each side of "=")`);
    for (const [side, ref] of [['FROM', from], ['TO', to]] as const) {
      const problem = imageNameProblem(ref);
      if (problem) throw new ImageMapError(`${what}: ${side} "${ref}" is not an image name: ${problem}`);
    }
    const key = parseReference(from);
    if (!key) throw new ImageMapError(`${what}: FROM is an image id; map a name (repository, repository:tag or repository@digest)`);
    const canonical = `${key.repository}:${key.tag ?? ''}@${key.digest ?? ''}`;
    const earlier = seen.get(canonical);
    if (earlier !== undefined && earlier !== to) throw new ImageMapError(`${what}: "${from}" is already mapped to "${earlier}" in ${source}`);
    seen.set(canonical, to);
    return { from, to, source };
  });
}

/** `FROM=TO` strings (a flag's values, a setting's list), checked. */
export function parseEntryStrings(items: readonly string[], source: string): ImageMapEntry[] {
  return checkEntries(
    items.map((item) => {
      const eq = item.indexOf('=');
      if (eq < 0) throw new ImageMapError(`${source}: "${item}" is not FROM=TO (e.g. alpine=pipewright/busybox:latest)`);
      return { from: item.slice(0, eq).trim(), to: item.slice(eq + 1).trim() };
    }),
    source,
  );
}

/** PIPEWRIGHT_IMAGE_MAP: `FROM=TO,FROM=TO` (spaces and empty items ignored). */
export function parseImageMapEnv(value: string | undefined): ImageMapEntry[] {
  if (!value?.trim()) return [];
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  return parseEntryStrings(items, IMAGE_MAP_ENV);
}

/** The pipewright.imageMap setting: an object `{FROM: TO}`, or a list of `FROM=TO` strings or `{from, to}` objects. */
export function parseImageMapSetting(value: unknown): ImageMapEntry[] {
  if (value === undefined || value === null) return [];
  const bad = (why: string) => new ImageMapError(`${IMAGE_MAP_SETTING}: ${why}. Expected an object {"alpine": "pipewright/busybox:latest"} or a list of "FROM=TO" strings.`);
  if (Array.isArray(value)) {
    const pairs = value.map((item, i) => {
      if (typeof item === 'string') {
        const eq = item.indexOf('=');
        if (eq < 0) throw bad(`item ${i + 1} ("${item}") is not FROM=TO`);
        return { from: item.slice(0, eq).trim(), to: item.slice(eq + 1).trim() };
      }
      if (item && typeof item === 'object' && typeof (item as { from?: unknown }).from === 'string' && typeof (item as { to?: unknown }).to === 'string') {
        return { from: (item as { from: string }).from.trim(), to: (item as { to: string }).to.trim() };
      }
      throw bad(`item ${i + 1} is ${JSON.stringify(item)}`);
    });
    return checkEntries(pairs, IMAGE_MAP_SETTING);
  }
  if (typeof value === 'object') {
    const pairs = Object.entries(value as Record<string, unknown>).map(([from, to]) => {
      if (typeof to !== 'string') throw bad(`"${from}" maps to ${JSON.stringify(to)}, not an image name`);
      return { from: from.trim(), to: to.trim() };
    });
    return checkEntries(pairs, IMAGE_MAP_SETTING);
  }
  throw bad(`it is ${JSON.stringify(value)}`);
}

/**
 * The map a pipeline instance runs with: the one it was created with (kept in its meta, so a
 * `start` after a crash maps as the run began), under the one given now (which wins).
 */
export function instanceImageMap(kept: readonly string[] | undefined, current: ImageMap | undefined): ImageMap | undefined {
  if (!kept?.length) return current;
  return new ImageMap([...parseEntryStrings(kept, "the pipeline's meta.json imageMap"), ...(current?.entries ?? [])]);
}

/** Lookups over the entries of every source; a later entry wins over an earlier one for the same key. */
export class ImageMap {
  private readonly exact = new Map<string, ImageMapEntry>();
  private readonly repositories = new Map<string, ImageMapEntry>();

  constructor(readonly entries: readonly ImageMapEntry[] = []) {
    for (const entry of entries) {
      const key = parseReference(entry.from)!;
      if (key.tag === null && key.digest === null) this.repositories.set(key.repository, entry);
      else this.exact.set(exactKey(key), entry);
    }
  }

  get size(): number {
    return this.entries.length;
  }

  /** The entry that maps `ref`, or null: an exact (tag or digest) key before a repository key. */
  lookup(ref: string): ImageMapEntry | null {
    const parsed = parseReference(ref);
    if (!parsed) return null;
    // A bare reference means :latest, as the engine reads it.
    const withTag = parsed.tag === null && parsed.digest === null ? { ...parsed, tag: 'latest' } : parsed;
    return this.exact.get(exactKey(withTag)) ?? (withTag.digest ? this.exact.get(exactKey({ ...withTag, digest: null })) : undefined) ?? this.repositories.get(parsed.repository) ?? null;
  }

  /** The image to use for `ref`. */
  apply(ref: string): string {
    return this.lookup(ref)?.to ?? ref;
  }
}

function exactKey(r: Reference): string {
  return `${r.repository}:${r.tag ?? ''}@${r.digest ?? ''}`;
}

export interface MappedDockerfile {
  text: string;
  mapped: ImageMapping[];
  /** Human notes: FROM lines the map cannot see into (ARG references). */
  notes: string[];
}

/**
 * The Dockerfile with the map applied to its FROM lines (`FROM x`, `FROM --platform=… x AS y`,
 * across `\` continuations). Earlier stage names and `scratch` are left alone; so are references
 * built from ARGs, which only the build resolves: those get a note.
 */
export function mapDockerfileFroms(text: string, map: ImageMap): MappedDockerfile {
  const mapped: ImageMapping[] = [];
  const notes: string[] = [];
  if (!map.size) return { text, mapped, notes };
  const lines = text.split('\n');
  for (const { start, end, ref, notImage } of fromLines(text)) {
    if (notImage === 'arg') notes.push(`Dockerfile line ${start + 1}: FROM ${ref} is built from an ARG, so the image map does not apply to it (give the ARG a mapped value instead)`);
    if (notImage) continue;
    const physical = lines.slice(start, end + 1);
    const to = map.apply(ref);
    if (to === ref) continue;
    // Replace the reference where it stands (first whole word after FROM), keeping the layout.
    const word = new RegExp(`(^|\\s)${ref.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=\\s|\\\\|$)`);
    for (let j = 0; j < physical.length; j++) {
      const line = physical[j]!;
      const offset = j === 0 ? line.search(/FROM/i) + 4 : 0;
      const rest = line.slice(offset);
      if (!word.test(rest)) continue;
      lines[start + j] = line.slice(0, offset) + rest.replace(word, (_m, lead: string) => `${lead}${to}`);
      break;
    }
    mapped.push({ from: ref, to });
  }
  return { text: lines.join('\n'), mapped, notes };
}
