// Images: the content hash, Dockerfile generation and the tar writer without Docker; then
// resolveImage against the real engine (no registry here, so no pulls succeed). Every
// container and image tag a test creates is removed in after(), whatever happened.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, createWriteStream, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, test } from 'node:test';
import type Dockerode from 'dockerode';
import type { ImageSpec } from '../../protocol/pipeline';
import { collectContext } from '../../runner/docker/buildContext';
import { CancelledError, createDockerClient, ensureDockerAvailable } from '../../runner/docker/connect';
import { fromImages, generateDockerfile, shellQuote } from '../../runner/docker/dockerfile';
import { computeImageKey, imageTagForKey, type ImageRecipe } from '../../runner/docker/imageKey';
import { ImageBuildError, ImageUnavailableError, InvalidImageNameError, resolveImage, type ImageProgress, type ResolvedImage } from '../../runner/docker/images';
import { inspectImageId } from '../../runner/docker/pull';
import { SharedWork } from '../../runner/docker/shared';
import { tarStream } from '../../runner/docker/tar';
import { requireImages } from '../helpers/runnerHarness';

const BASE = 'pipewright/busybox:latest';
const temp = mkdtempSync(join(tmpdir(), 'pw-images-'));
after(() => rmSync(temp, { recursive: true, force: true }));

/** Makes a fresh folder from `{relative path: content}`. */
function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(temp, 'dir-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

function spec(fields: Partial<ImageSpec>): ImageSpec {
  return { name: null, dockerfile: null, dockerfile_text: null, context: null, copy_dir: null, install_packages: [], install_pip: [], path_map: {}, ...fields };
}

describe('image key (no engine)', () => {
  const recipe = async (dir: string, extra: Partial<ImageRecipe> = {}) =>
    computeImageKey({ bases: ['sha256:aaa'], dockerfileName: 'Dockerfile', dockerfile: 'FROM x\n', files: [{ prefix: 'src', entries: await collectContext(dir) }], ...extra });

  test('is stable, and ignores mtimes and where the folder is', async () => {
    const a = folder({ 'main.py': 'print(1)\n', 'pkg/util.py': 'x = 1\n' });
    const b = folder({ 'main.py': 'print(1)\n', 'pkg/util.py': 'x = 1\n' });
    utimesSync(join(b, 'main.py'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    const key = await recipe(a);
    assert.match(key, /^[0-9a-f]{64}$/);
    assert.equal(await recipe(a), key);
    assert.equal(await recipe(b), key);
    assert.match(imageTagForKey(key), /^pipewright-build:[0-9a-f]{16}$/);
  });

  test('changes with content, mode, path, base, Dockerfile', async () => {
    const dir = folder({ 'main.py': 'print(1)\n' });
    const keys = new Set<string>([await recipe(dir)]);
    writeFileSync(join(dir, 'main.py'), 'print(2)\n');
    keys.add(await recipe(dir));
    chmodSync(join(dir, 'main.py'), 0o755);
    keys.add(await recipe(dir));
    writeFileSync(join(dir, 'other.py'), '');
    keys.add(await recipe(dir));
    keys.add(await recipe(dir, { bases: ['sha256:bbb'] }));
    keys.add(await recipe(dir, { dockerfile: 'FROM y\n' }));
    assert.equal(keys.size, 6);
  });

  test('skips .git, node_modules, __pycache__ and what .dockerignore excludes', async () => {
    const dir = folder({ 'main.py': '1', '.dockerignore': 'secret.txt\nbuild\n!build/keep.txt\n*.log\n' });
    const key = await recipe(dir);
    const entries = (await collectContext(dir)).map((e) => e.path);
    for (const [path, content] of Object.entries({
      '.git/HEAD': 'ref', 'node_modules/x/index.js': '', 'pkg/__pycache__/m.pyc': '', 'secret.txt': 's', 'build/out.o': '', 'x.log': '',
    })) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    const after = (await collectContext(dir)).map((e) => e.path);
    assert.deepEqual(after.filter((p) => p !== 'pkg'), entries); // an empty pkg/ is still a folder
    assert.notEqual(await recipe(dir), key); // ... and so changes the key
    rmSync(join(dir, 'pkg'), { recursive: true });
    assert.equal(await recipe(dir), key);
    writeFileSync(join(dir, 'build/keep.txt'), 'kept');
    assert.ok((await collectContext(dir)).some((e) => e.path === 'build/keep.txt'), 'a ! exception re-includes a file');
  });
});

describe('Dockerfile text (no engine)', () => {
  test('generated: packages via apt-get or apk, pip, then the code', () => {
    const text = generateDockerfile('sha256:abc', 'python:3.12', { installPackages: ['curl', 'libpq-dev'], installPip: ['requests>=2,<3', 'numpy'], copyDir: true });
    const lines = text.trim().split('\n');
    assert.equal(lines[1], 'FROM sha256:abc');
    assert.match(lines[2] ?? '', /^RUN set -e; if command -v apt-get .*apt-get install -y --no-install-recommends curl libpq-dev;.*elif command -v apk .*apk add --no-cache curl libpq-dev;/);
    assert.match(lines[3] ?? '', /python3 -m pip install .* 'requests>=2,<3' numpy$/);
    assert.deepEqual(lines.slice(4), ['COPY src/ /pipewright/src/', 'WORKDIR /pipewright/src']);
    assert.throws(() => generateDockerfile('b', 'b', { installPackages: ['a\nRUN rm -rf /'], installPip: [], copyDir: false }), /Invalid package name/);
  });

  test('shellQuote', () => {
    assert.equal(shellQuote('plain-1.0'), 'plain-1.0');
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
    assert.equal(shellQuote('$(reboot)'), `'$(reboot)'`);
  });

  test('fromImages: skips stages, scratch and ARG references', () => {
    const text = 'ARG V=1\nFROM --platform=linux/amd64 python:3.12 AS build\nRUN x\nFROM build AS test\nFROM scratch\nFROM ${BASE}\nfrom \\\n  busybox:1\n';
    assert.deepEqual(fromImages(text), ['python:3.12', 'busybox:1']);
  });
});

describe('tar writer (no engine)', () => {
  test('long and non-ASCII names, symlinks and modes survive (read back by tar)', async (t) => {
    try {
      execFileSync('tar', ['--version'], { stdio: 'ignore' });
    } catch {
      return t.skip('no tar on this machine');
    }
    const long = `${'d'.repeat(90)}/${'e'.repeat(90)}/${'f'.repeat(120)}.txt`;
    const out = join(temp, 'test.tar');
    await pipeline(
      tarStream([
        { name: 'dir', type: 'dir', mode: 0o750, mtime: 1_700_000_000 },
        { name: 'dir/run.sh', type: 'file', mode: 0o755, mtime: 1_700_000_000, content: Buffer.from('#!/bin/sh\n') },
        { name: long, type: 'file', mode: 0o644, mtime: 1_700_000_000, content: Buffer.from('x'.repeat(1000)) },
        { name: 'grüße.txt', type: 'file', mode: 0o644, mtime: 1_700_000_000, content: Buffer.alloc(0) },
        { name: 'link', type: 'symlink', mode: 0o777, mtime: 1_700_000_000, linkname: 'dir/run.sh' },
      ]),
      createWriteStream(out),
    );
    const listing = execFileSync('tar', ['-tvf', out], { encoding: 'utf8' });
    assert.match(listing, /^drwxr-x--- .* dir\/$/m);
    assert.match(listing, /^-rwxr-xr-x .* 10 .* dir\/run\.sh$/m);
    assert.ok(listing.includes(` 1000 `) && listing.includes(long), listing);
    assert.ok(listing.includes('grüße.txt'), listing);
    assert.match(listing, /^lrwxrwxrwx .* link -> dir\/run\.sh$/m);
  });
});

describe('SharedWork (no engine)', () => {
  test('callers share one run and its progress; the work stops only when all have left', async () => {
    const shared = new SharedWork<string, number>();
    let starts = 0;
    let workSignal: AbortSignal | undefined;
    const start = (signal: AbortSignal, emit: (p: number) => void) => {
      starts++;
      workSignal = signal;
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => (emit(1), resolve('done')), 100);
        signal.addEventListener('abort', () => (clearTimeout(timer), reject(new Error('aborted'))));
      });
    };
    const seen: [number[], number[]] = [[], []];
    const a = new AbortController();
    const first = shared.run('k', start, { signal: a.signal, onProgress: (p) => seen[0].push(p) });
    const second = shared.run('k', start, { onProgress: (p) => seen[1].push(p) });
    a.abort();
    await assert.rejects(first, CancelledError);
    assert.equal(workSignal?.aborted, false, 'one caller leaving must not stop the other');
    assert.equal(await second, 'done');
    assert.equal(starts, 1);
    assert.deepEqual(seen, [[], [1]]);
    assert.equal(shared.size, 0);

    const b = new AbortController();
    const lone = shared.run('k2', start, { signal: b.signal });
    b.abort();
    await assert.rejects(lone, CancelledError);
    assert.equal(workSignal?.aborted, true, 'the last caller leaving stops the work');
  });
});

describe('resolveImage against the real engine', () => {
  let docker: Dockerode;
  const createdTags = new Set<string>();
  const createdContainers = new Set<string>();
  const nonce = randomBytes(6).toString('hex');

  /** resolveImage that records every tag it builds, for cleanup. */
  const resolve = async (s: ImageSpec | null, extra: { onProgress?: (e: ImageProgress) => void; signal?: AbortSignal; defaultImage?: string } = {}): Promise<ResolvedImage> => {
    const result = await resolveImage(docker, s, {
      defaultImage: extra.defaultImage ?? BASE,
      definitionDir: temp,
      signal: extra.signal,
      onProgress: (e) => {
        if (e.kind === 'build') createdTags.add(e.image);
        extra.onProgress?.(e);
      },
    });
    if (result.name.startsWith('pipewright-build:')) createdTags.add(result.name);
    return result;
  };

  /** Runs `sh -c script` in a container of `image`; returns its output. */
  const run = async (image: string, script: string): Promise<string> => {
    const container = await docker.createContainer({ Image: image, Cmd: ['sh', '-c', script], Tty: true, Labels: { 'pipewright.test': nonce } });
    createdContainers.add(container.id);
    try {
      await container.start();
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      const output = (await container.logs({ stdout: true, stderr: true, follow: false })).toString().replace(/\r\n/g, '\n');
      assert.equal(StatusCode, 0, output);
      return output;
    } finally {
      await container.remove({ force: true }).catch(() => {});
      createdContainers.delete(container.id);
    }
  };

  before(async () => {
    docker = createDockerClient();
    await ensureDockerAvailable(docker);
    await requireImages(docker, [BASE]);
  });

  after(async () => {
    for (const id of createdContainers) await docker.getContainer(id).remove({ force: true }).catch(() => {});
    // Newest first: a two-stage build's second image uses the first as its parent.
    for (const tag of [...createdTags].reverse()) await docker.getImage(tag).remove({ force: true }).catch(() => {});
  });

  test('the default image as is: no build, no pull', async () => {
    const busyboxPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
    assert.deepEqual(await resolve(null), { name: BASE, workdir: null, path: busyboxPath, built: false, pulled: false });
    assert.deepEqual(await resolve(spec({ name: BASE })), { name: BASE, workdir: null, path: busyboxPath, built: false, pulled: false });
  });

  test('a missing image that cannot be pulled: ImageUnavailableError, quickly, with the hint', async () => {
    const missing = `pipewright-test/missing-${nonce}:1`;
    const progress: ImageProgress[] = [];
    const started = Date.now();
    await assert.rejects(resolve(null, { defaultImage: missing, onProgress: (e) => progress.push(e) }), (e: unknown) => {
      assert.ok(e instanceof ImageUnavailableError, String(e));
      assert.equal(e.image, missing);
      assert.ok(e.engineMessage.length > 0);
      assert.match(e.message, new RegExp(`Image ${missing} is not on the Docker engine at .* and cannot be pulled: `));
      assert.ok(e.message.includes(e.engineMessage));
      assert.match(e.message, /PIPEWRIGHT_DEFAULT_IMAGE.*--image/);
      return true;
    });
    assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
    assert.equal(progress[0]?.kind, 'pull');
    // A node's own image gets advice about the node.
    await assert.rejects(resolve(spec({ name: missing })), /Image\(image=\.\.\.\)/);
    // So does a FROM in a Dockerfile, before any build starts.
    await assert.rejects(resolve(spec({ dockerfile_text: `FROM ${missing}\n` })), (e: unknown) => e instanceof ImageUnavailableError && /FROM line/.test(e.message));
  });

  test('an invalid image name is reported as one, not as Docker being unavailable', async () => {
    for (const name of ['UPPER/Case:bad tag', 'UPPER/Case:badtag']) {
      await assert.rejects(resolve(spec({ name })), (e: unknown) => {
        assert.ok(e instanceof InvalidImageNameError, String(e));
        assert.match(e.message, new RegExp(`^Invalid image name "${name}" in the node's Image\\(image=\\.\\.\\.\\): `));
        return true;
      });
    }
    // The engine's own check, for a name the grammar lets through and the engine refuses.
    await assert.rejects(inspectImageId(docker, 'UPPER/Case:badtag', 10_000), (e: unknown) => e instanceof InvalidImageNameError && /repository name must be lowercase/.test(e.message));
    await assert.rejects(inspectImageId(docker, 'a b', 10_000), InvalidImageNameError);
  });

  test('dockerfile_text: built, visible in a container, then a cache hit', async () => {
    const progress: string[] = [];
    const s = spec({ dockerfile_text: `FROM pipewright/busybox\n# ${nonce}\nRUN echo hi > /x\n` });
    const first = await resolve(s, { onProgress: (e) => progress.push(e.message) });
    assert.match(first.name, /^pipewright-build:[0-9a-f]{16}$/);
    assert.deepEqual({ ...first, name: '', path: '' }, { name: '', workdir: null, path: '', built: true, pulled: false });
    assert.ok(progress.some((m) => /^Step 2\/\d+ : RUN echo hi > \/x$/.test(m)), progress.join('\n'));
    assert.equal((await run(first.name, 'cat /x')).trim(), 'hi');

    const second = await resolve(s, { onProgress: (e) => progress.push(`again: ${e.message}`) });
    assert.deepEqual(second, { ...first, built: false });
    assert.ok(!progress.some((m) => m.startsWith('again:')), 'a cache hit reports no build');
  });

  test('copy_dir lands in /pipewright/src (the working directory), honouring .dockerignore; edits make a new tag', async () => {
    const long = `${'a'.repeat(80)}/${'b'.repeat(80)}/${'c'.repeat(110)}.txt`;
    const dir = folder({
      'main.py': `print("v1")  # ${nonce}\n`,
      'pkg/util.py': 'x = 1\n',
      [long]: 'deep\n',
      '.dockerignore': 'secret.txt\nbuild\n!build/keep.txt\n',
      'secret.txt': 'do not ship',
      'build/out.o': 'binary',
      'build/keep.txt': 'kept',
      'node_modules/m/index.js': '',
      '.git/HEAD': 'ref: refs/heads/main',
    });
    chmodSync(join(dir, 'pkg/util.py'), 0o755);
    const first = await resolve(spec({ name: 'pipewright/busybox', copy_dir: dir }));
    assert.equal(first.workdir, '/pipewright/src');
    assert.equal(first.built, true);
    const listing = await run(first.name, 'pwd; find . -type f | sort; stat -c %a pkg/util.py; cat main.py');
    assert.deepEqual(listing.trim().split('\n'), [
      '/pipewright/src',
      './.dockerignore',
      `./${long}`,
      './build/keep.txt',
      './main.py',
      './pkg/util.py',
      '755',
      `print("v1")  # ${nonce}`,
    ]);

    // An ignored file's change does not matter; a real change does.
    writeFileSync(join(dir, 'secret.txt'), 'still secret');
    assert.deepEqual(await resolve(spec({ name: 'pipewright/busybox', copy_dir: dir })), { ...first, built: false });
    writeFileSync(join(dir, 'main.py'), `print("v2")  # ${nonce}\n`);
    const edited = await resolve(spec({ name: 'pipewright/busybox', copy_dir: dir }));
    assert.notEqual(edited.name, first.name);
    assert.equal(edited.built, true);
    assert.equal((await run(edited.name, 'cat main.py')).trim(), `print("v2")  # ${nonce}`);
  });

  test('a Dockerfile in a context folder (with .dockerignore), then copy_dir on top', async () => {
    const ctx = folder({
      'Dockerfile': `FROM pipewright/busybox\nCOPY . /app/\nRUN echo ${nonce} > /stage1\n`,
      'app.txt': 'app',
      'skip.me': 'no',
      '.dockerignore': '*.me\n',
    });
    const code = folder({ 'run.py': 'print(1)\n' });
    const result = await resolve(spec({ dockerfile: join(ctx, 'Dockerfile'), copy_dir: code }));
    assert.equal(result.workdir, '/pipewright/src');
    const out = await run(result.name, 'ls -A /app | sort; cat /stage1; ls');
    assert.deepEqual(out.trim().split('\n'), ['.dockerignore', 'Dockerfile', 'app.txt', nonce, 'run.py']);
  });

  test('a failing RUN: ImageBuildError with the step and its output', async () => {
    const s = spec({ dockerfile_text: `FROM pipewright/busybox\nRUN echo first-${nonce}; echo to-stderr >&2; exit 3\n` });
    await assert.rejects(resolve(s), (e: unknown) => {
      assert.ok(e instanceof ImageBuildError, String(e));
      assert.match(e.step ?? '', /^Step 2\/\d+ : RUN echo first-/);
      // stdout and stderr reach the builder's log on separate pipes: their order is not fixed.
      assert.deepEqual([...e.output].sort(), [`first-${nonce}`, 'to-stderr']);
      assert.match(e.message, /failed at Step 2\/\d+ : RUN .*returned a non-zero code: 3\n {2}(first-[0-9a-f]+|to-stderr)\n {2}(first-[0-9a-f]+|to-stderr)$/);
      return true;
    });
    // A syntax error is refused before any step runs.
    await assert.rejects(resolve(spec({ dockerfile_text: `FROM pipewright/busybox\nNOTANINSTRUCTION ${nonce}\n` })), (e: unknown) => e instanceof ImageBuildError && /unknown instruction/i.test(e.message));
  });

  test('concurrent calls for one spec share one build', async () => {
    const original = docker.buildImage.bind(docker);
    let builds = 0;
    // Counts calls; the engine still does the work.
    docker.buildImage = ((...args: Parameters<typeof original>) => {
      builds++;
      return original(...args);
    }) as typeof docker.buildImage;
    try {
      const s = spec({ dockerfile_text: `FROM pipewright/busybox\nRUN sleep 0.5; echo ${nonce} > /y\n` });
      const results = await Promise.all([resolve(s), resolve(s), resolve(s)]);
      assert.equal(builds, 1);
      assert.equal(new Set(results.map((r) => r.name)).size, 1);
      assert.ok(results.every((r) => r.built));
    } finally {
      docker.buildImage = original;
    }
  });

  test('cancelling a build stops it promptly and tags nothing', async () => {
    const s = spec({ dockerfile_text: `FROM pipewright/busybox\nRUN echo ${nonce}; sleep 30\n` });
    const controller = new AbortController();
    let tag = '';
    const started = Date.now();
    const pending = resolve(s, {
      signal: controller.signal,
      onProgress: (e) => {
        tag = e.image;
        if (e.message.startsWith('Step 2/')) setTimeout(() => controller.abort(), 200);
      },
    });
    await assert.rejects(pending, CancelledError);
    assert.ok(Date.now() - started < 10_000);
    await assert.rejects(docker.getImage(tag).inspect(), /no such image/);
  });
});
