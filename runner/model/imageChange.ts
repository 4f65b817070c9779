import type { ImageSpec } from '../../protocol/pipeline';

/**
 * The parts of an Image that decide what the runner reads from the host: the folders and files it
 * packs into a build context (or copies into the image), and the Dockerfile that picks files out
 * of that context. A modification comes from an untrusted channel (a webview, another process), so
 * these stay as the definition set them; it may change only the image's name and its packages.
 */
export const HOST_FIELDS = ['dockerfile', 'dockerfile_text', 'context', 'copy_dir', 'copy_url', 'copy_branch', 'path_map'] as const satisfies readonly (keyof ImageSpec)[];

/** The field a new image changes from the node's current one among HOST_FIELDS, or null. */
export function changedHostField(current: ImageSpec | null, next: ImageSpec | null): (typeof HOST_FIELDS)[number] | null {
  if (next === null) return null; // back to the default image: no host path at all
  for (const field of HOST_FIELDS) {
    const before = current?.[field] ?? null;
    const after = next[field] ?? null;
    const same = field === 'path_map' ? sameStrings(before as Record<string, string> | null, after as Record<string, string> | null) : before === after;
    if (!same) return field;
  }
  return null;
}

function sameStrings(a: Record<string, string> | null, b: Record<string, string> | null): boolean {
  const ka = Object.keys(a ?? {});
  return ka.length === Object.keys(b ?? {}).length && ka.every((k) => Object.hasOwn(b!, k) && b![k] === a![k]);
}
