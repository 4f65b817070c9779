// From a node's Image(...) to an image a container can be created from: the named (or default)
// image, pulled if missing; or an image built from the user's Dockerfile and/or generated from
// install_packages / install_pip / copy_dir, cached under a tag derived from its content.
import type Dockerode from 'dockerode';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { imageNameProblem } from '../../protocol/imageReference';
import type { ImageSpec } from '../../protocol/pipeline';
import { buildImage } from './build';
import { dockerEndpoint } from './connect';
import { collectContext, toTarEntries, type ContextEntry } from './buildContext';
import { COPY_DIR_CONTEXT_PREFIX, COPY_DIR_TARGET, fromImages, generateDockerfile, pipInstalls } from './dockerfile';
import { cloneBranch, type Clone } from './gitClone';
import { ImageMap, mapDockerfileFroms, type ImageMapping } from './imageMap';
import { computeImageKey, imageTagForKey, type ImageRecipe } from './imageKey';
import type { ImageProgress } from './progress';
import { InvalidImageNameError } from './errors';
import { ensureLocalImage, inspectImageId } from './pull';
import { SharedWork } from './shared';
import { withTimeout } from './timeout';
import type { TarEntry } from './tar';

export type { ImageProgress } from './progress';
export { ImageBuildError, ImageUnavailableError, InvalidImageNameError } from './errors';

export interface ResolvedImage {
  /** A tag or id to create containers from. */
  name: string;
  /** Where copy_dir landed in the image, else null. */
  workdir: string | null;
  /** The image's PATH (its config's env), for nodes' commands; null when it sets none. */
  path: string | null;
  /** True when this call (or the call it joined) built the image. */
  built: boolean;
  /** True when this call (or the call it joined) pulled an image. */
  pulled: boolean;
  /** Present when the image map replaced an image asked for (the node's, the default, a FROM). */
  mapped?: ImageMapping[];
  /** Present for copy_url: the commit that was cloned into the image. */
  git?: { url: string; branch: string; commit: string };
}

export interface ResolveImageOptions {
  /** For nodes whose Image names none. */
  defaultImage: string;
  /** Resolves relative paths in the spec (they should be absolute already). */
  definitionDir: string;
  /** Images to use instead of others (runner/docker/imageMap.ts). */
  imageMap?: ImageMap;
  /** Host folders never put into a build context or a copy_dir (the store). */
  neverSent?: readonly string[];
  onProgress?: (event: ImageProgress) => void;
  signal?: AbortSignal;
  /** Per metadata request (inspect). Default 30 s. */
  timeoutMs?: number;
  /** For a whole pull or build. Default 60 min: installs can be slow, but must not hang forever. */
  buildTimeoutMs?: number;
}

/** Labels on every image we build, so they can be listed and pruned (`label=pipewright.recipe`). */
export const RECIPE_LABEL = 'pipewright.recipe';

// Keyed by endpoint rather than client, so that two clients of one engine still share builds.
const sharedByEngine = new Map<string, SharedWork<unknown, ImageProgress>>();

function sharedFor(docker: Dockerode): SharedWork<unknown, ImageProgress> {
  const endpoint = dockerEndpoint(docker);
  let shared = sharedByEngine.get(endpoint);
  if (!shared) sharedByEngine.set(endpoint, (shared = new SharedWork()));
  return shared;
}

/** True when the spec asks for a build rather than just an image name. */
export function needsBuild(spec: ImageSpec | null): boolean {
  return !!spec && !!(spec.dockerfile || spec.dockerfile_text || spec.copy_dir || spec.copy_url || spec.install_docker || spec.install_packages?.length || pipInstalls(spec.install_pip ?? []).length);
}

/** Needs a generated layer on top of the base (or of the user's Dockerfile). */
function needsGenerated(spec: ImageSpec): boolean {
  return !!(spec.copy_dir || spec.copy_url || spec.install_docker || spec.install_packages?.length || pipInstalls(spec.install_pip ?? []).length);
}

export async function resolveImage(docker: Dockerode, spec: ImageSpec | null, opts: ResolveImageOptions): Promise<ResolvedImage> {
  if (spec?.error) throw new Error(spec.error);
  const ctx: Ctx = {
    docker,
    opts,
    timeoutMs: opts.timeoutMs ?? 30_000,
    buildTimeoutMs: opts.buildTimeoutMs ?? 60 * 60_000,
    shared: sharedFor(docker),
    pulled: false,
    built: false,
    map: opts.imageMap ?? new ImageMap(),
    mapped: [],
  };
  const done = async (name: string, workdir: string | null, git?: ResolvedImage['git']): Promise<ResolvedImage> => ({
    name,
    workdir,
    path: await imagePath(ctx, name),
    built: ctx.built,
    pulled: ctx.pulled,
    ...(ctx.mapped.length ? { mapped: ctx.mapped } : {}),
    ...(git ? { git } : {}),
  });
  // Mapped only when used: a Dockerfile's FROM lines choose their own images.
  const base = () => mapped(ctx, spec?.name || opts.defaultImage);

  if (!spec || !needsBuild(spec)) {
    const name = base();
    await ensureImage(ctx, name, spec?.name ? 'node' : 'default');
    return done(name, null);
  }

  let from: { ref: string; id: string; label: string };
  if (spec.dockerfile || spec.dockerfile_text) {
    // The user's Dockerfile decides its own FROM; `name` is not used with it.
    const built = await buildUserDockerfile(ctx, spec);
    if (!needsGenerated(spec)) return done(built.tag, null);
    from = { ref: built.id, id: built.id, label: built.tag };
  } else {
    const name = base();
    const id = await ensureImage(ctx, name, spec.name ? 'node' : 'default');
    from = { ref: id, id, label: name };
  }

  const clone = spec.copy_url ? await cloneBranch(spec.copy_url, spec.copy_branch ?? '', { timeoutMs: ctx.buildTimeoutMs, signal: opts.signal }) : null;
  try {
    if (clone) opts.onProgress?.({ kind: 'build', image: clone.url, message: `Cloned ${clone.url} branch ${clone.branch} at ${clone.commit}` });
    const tag = await buildGenerated(ctx, spec, from, clone);
    const copied = !!(spec.copy_dir || clone);
    return done(tag, copied ? COPY_DIR_TARGET : null, clone ? { url: clone.url, branch: clone.branch, commit: clone.commit } : undefined);
  } finally {
    await clone?.remove();
  }
}

/** The image to use for `ref` by the map; a substitution is recorded and reported. */
function mapped(ctx: Ctx, ref: string): string {
  const entry = ctx.map.lookup(ref);
  if (!entry) return ref;
  ctx.mapped.push({ from: ref, to: entry.to });
  ctx.opts.onProgress?.({ kind: 'pull', image: ref, message: `Using ${entry.to} for ${ref} (image map: ${entry.source})` });
  return entry.to;
}

/** PATH from the image's config. */
async function imagePath(ctx: Ctx, name: string): Promise<string | null> {
  const info = await withTimeout(ctx.docker.getImage(name).inspect(), ctx.timeoutMs, `Inspecting image ${name}`, ctx.opts.signal);
  return info.Config?.Env?.find((e) => e.startsWith('PATH='))?.slice(5) ?? null;
}

interface Ctx {
  docker: Dockerode;
  opts: ResolveImageOptions;
  timeoutMs: number;
  buildTimeoutMs: number;
  shared: SharedWork<unknown, ImageProgress>;
  pulled: boolean;
  built: boolean;
  map: ImageMap;
  /** Substitutions the map made for this image. */
  mapped: ImageMapping[];
}

/** Where an image name was given, for the error that refuses it. */
const NAMED_IN = {
  node: "in the node's Image(image=...)",
  default: 'as the default image (--image, PIPEWRIGHT_DEFAULT_IMAGE or the pipewright.defaultImage setting)',
  dockerfile: 'in a FROM line of the Dockerfile',
} as const;

async function ensureImage(ctx: Ctx, name: string, whose: 'node' | 'default' | 'dockerfile'): Promise<string> {
  // Before the engine is asked: it would fail in the HTTP client or with a 400, read as Docker's fault.
  const problem = imageNameProblem(name);
  if (problem) throw new InvalidImageNameError(`Invalid image name "${name}" ${NAMED_IN[whose]}: ${problem}`, name);
  const hint =
    whose === 'default'
      ? 'Build or load it locally (docker build / docker load), or set PIPEWRIGHT_DEFAULT_IMAGE (or pass --image) to an image this engine has.'
      : whose === 'node'
        ? "Build or load it locally (docker build / docker load), or name an image this engine has in the node's Image(image=...). PIPEWRIGHT_DEFAULT_IMAGE / --image set the default image."
        : 'It is named in a FROM line of the Dockerfile; build or load it locally (docker build / docker load), or change the FROM.';
  const via = ctx.mapped.find((m) => m.to === name);
  const image = await ensureLocalImage(ctx.docker, name, {
    onProgress: ctx.opts.onProgress,
    signal: ctx.opts.signal,
    timeoutMs: ctx.timeoutMs,
    pullTimeoutMs: ctx.buildTimeoutMs,
    hint: via ? `The image map (PIPEWRIGHT_IMAGE_MAP, --image-map or the pipewright.imageMap setting) gave ${name} for ${via.from}; map it to an image this engine has. ${hint}` : hint,
    shared: ctx.shared,
  });
  if (image.pulled) ctx.pulled = true;
  return image.id;
}

function hostPath(ctx: Ctx, path: string): string {
  return isAbsolute(path) ? path : resolve(ctx.opts.definitionDir, path);
}

async function buildUserDockerfile(ctx: Ctx, spec: ImageSpec): Promise<{ tag: string; id: string }> {
  const dockerfilePath = spec.dockerfile ? hostPath(ctx, spec.dockerfile) : null;
  const original = spec.dockerfile_text ?? (await readFile(dockerfilePath!, 'utf8').catch((error: Error) => {
    throw new Error(`Dockerfile ${dockerfilePath} cannot be read: ${error.message}`, { cause: error });
  }));
  // The map applies to the FROM lines too: the build gets the text with the images used.
  const mappedFroms = mapDockerfileFroms(original, ctx.map);
  const text = mappedFroms.text;
  const where = dockerfilePath ?? 'dockerfile_text';
  for (const m of mappedFroms.mapped) {
    ctx.mapped.push(m);
    ctx.opts.onProgress?.({ kind: 'build', image: where, message: `FROM ${m.from}: using ${m.to} (image map)` });
  }
  for (const note of mappedFroms.notes) ctx.opts.onProgress?.({ kind: 'build', image: where, message: `${where}: ${note}` });
  // Like `docker build -f X` with no context argument: the Dockerfile's folder.
  const contextDir = spec.context ? hostPath(ctx, spec.context) : dockerfilePath ? dirname(dockerfilePath) : null;
  const files = contextDir ? await collectContext(contextDir, ctx.opts.neverSent) : [];

  // A Dockerfile inside the context keeps its own name (as `docker build` sends it); any other
  // (dockerfile_text, or one outside the context) is added under a name of ours.
  let dockerfileName = '.pipewright.Dockerfile';
  if (dockerfilePath && contextDir) {
    const rel = relative(contextDir, dockerfilePath);
    if (rel && !rel.startsWith('..') && !isAbsolute(rel)) dockerfileName = rel.split(sep).join('/');
  }
  const withoutDockerfile = files.filter((f) => f.path !== dockerfileName);

  // Pull what the FROMs need up front: a missing base then gets the same clear error as a missing
  // image, and its id goes into the key, so rebuilding the base rebuilds this image.
  const bases: string[] = [];
  for (const ref of fromImages(text)) bases.push(`${ref}@${await ensureImage(ctx, ref, 'dockerfile')}`);

  const recipe: ImageRecipe = { bases, dockerfileName, dockerfile: text, files: [{ prefix: '', entries: withoutDockerfile }] };
  const entries: TarEntry[] = [...toTarEntries(withoutDockerfile), dockerfileEntry(dockerfileName, text)];
  return buildCached(ctx, recipe, entries, `Dockerfile ${dockerfilePath ?? '(dockerfile_text)'}`);
}

async function buildGenerated(ctx: Ctx, spec: ImageSpec, from: { ref: string; id: string; label: string }, clone: Clone | null): Promise<string> {
  const copyDir = clone ? clone.dir : spec.copy_dir ? hostPath(ctx, spec.copy_dir) : null;
  const files: ContextEntry[] = copyDir ? await collectContext(copyDir, ctx.opts.neverSent) : [];
  const dockerfile = generateDockerfile(from.ref, from.label, {
    installPackages: spec.install_packages ?? [],
    installPip: pipInstalls(spec.install_pip ?? []),
    installDocker: !!spec.install_docker,
    copyDir: !!copyDir,
    // Where the code came from, as Conducto's images say it (CONDUCTO_GIT_*), so nodes can tell.
    env: clone ? { CONDUCTO_GIT_URL: clone.url, CONDUCTO_GIT_BRANCH: clone.branch, CONDUCTO_GIT_SHA: clone.commit } : {},
  });
  const recipe: ImageRecipe = { bases: [from.id], dockerfileName: 'Dockerfile', dockerfile, files: [{ prefix: COPY_DIR_CONTEXT_PREFIX, entries: files }] };
  const entries: TarEntry[] = [dockerfileEntry('Dockerfile', dockerfile)];
  if (copyDir) {
    // The folder itself, so that COPY works (and copies nothing) when everything in it is ignored.
    entries.push({ name: COPY_DIR_CONTEXT_PREFIX, type: 'dir', mode: 0o755, mtime: Math.floor(Date.now() / 1000) });
    entries.push(...toTarEntries(files, COPY_DIR_CONTEXT_PREFIX));
  }
  if (clone) {
    // A clone keeps its .git, as Conducto's did (git commands in nodes); left out of the key,
    // where the commit (CONDUCTO_GIT_SHA) already stands for it and its index would change it.
    const gitDir = join(clone.dir, '.git');
    entries.push({ name: `${COPY_DIR_CONTEXT_PREFIX}/.git`, type: 'dir', mode: 0o755, mtime: Math.floor(Date.now() / 1000) });
    entries.push(...toTarEntries(await collectContext(gitDir), `${COPY_DIR_CONTEXT_PREFIX}/.git`));
  }
  return (await buildCached(ctx, recipe, entries, from.label)).tag;
}

/** Builds unless an image with the recipe's tag exists; one build per recipe at a time. */
async function buildCached(ctx: Ctx, recipe: ImageRecipe, entries: TarEntry[], baseLabel: string): Promise<{ tag: string; id: string }> {
  const key = await computeImageKey(recipe);
  const tag = imageTagForKey(key);
  const existing = await inspectImageId(ctx.docker, tag, ctx.timeoutMs, ctx.opts.signal);
  if (existing) return { tag, id: existing };
  const result = (await ctx.shared.run(
    `build\0${key}`,
    async (signal, emit) => {
      const again = await inspectImageId(ctx.docker, tag, ctx.timeoutMs, signal);
      if (again) return { id: again, built: false };
      const id = await buildImage(ctx.docker, {
        tag,
        dockerfile: recipe.dockerfileName,
        entries,
        labels: { [RECIPE_LABEL]: key, 'pipewright.base': baseLabel.slice(0, 200) },
        timeoutMs: ctx.buildTimeoutMs,
        signal,
        emit,
      });
      return { id, built: true };
    },
    { signal: ctx.opts.signal, onProgress: ctx.opts.onProgress, what: `Building ${tag}` },
  )) as { id: string; built: boolean };
  if (result.built) ctx.built = true;
  return { tag, id: result.id };
}

function dockerfileEntry(name: string, text: string): TarEntry {
  return { name, type: 'file', mode: 0o644, mtime: Math.floor(Date.now() / 1000), content: Buffer.from(text, 'utf8') };
}
