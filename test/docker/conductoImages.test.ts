// Conducto's co.Image on the real engine: the image map (node images and FROM lines), copy_url
// from a local git repository, install_docker with requires_docker, reqs_py=["conducto"] served by
// our SDK, and the `python` command of the offline base image. Through resolveImage, and through
// the CLI as a user runs it. Every container, image tag and folder a test makes is removed.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type Dockerode from 'dockerode';
import type { ImageSpec } from '../../protocol/pipeline';
import type { ExecutionRecord } from '../../protocol/runner';
import { createDockerClient, ensureDockerAvailable } from '../../runner/docker/connect';
import { generateDockerfile } from '../../runner/docker/dockerfile';
import { ImageMap, parseImageMapEnv } from '../../runner/docker/imageMap';
import { resolveImage, type ImageProgress, type ResolvedImage } from '../../runner/docker/images';
import { cli, cliJs, ensureBuilt } from '../helpers/cli';
import { BUSYBOX_IMAGE, requireImages, TEST_IMAGE } from '../helpers/runnerHarness';

const PYTHON_IMAGE = 'pipewright/python:latest';
const temp = mkdtempSync(join(tmpdir(), 'pw-conducto-images-'));
const store = join(temp, 'store');
const env = { PIPEWRIGHT_HOME: store, PIPEWRIGHT_DEFAULT_IMAGE: TEST_IMAGE, PIPEWRIGHT_CLI: cliJs, PIPEWRIGHT_IMAGE_MAP: '' };
const nonce = randomBytes(6).toString('hex');
let docker: Dockerode;
const createdTags = new Set<string>();

before(async () => {
  ensureBuilt();
  docker = createDockerClient();
  await ensureDockerAvailable(docker);
  await requireImages(docker, [BUSYBOX_IMAGE, PYTHON_IMAGE]);
});

after(async () => {
  for (const tag of [...createdTags].reverse()) await docker.getImage(tag).remove({ force: true }).catch(() => {});
  // Images the CLI runs built (install_docker, copy_url): labelled with their recipe, named by it.
  rmSync(temp, { recursive: true, force: true });
});

function spec(fields: Partial<ImageSpec>): ImageSpec {
  return { name: null, dockerfile: null, dockerfile_text: null, context: null, copy_dir: null, install_packages: [], install_pip: [], path_map: {}, ...fields };
}

function write(path: string, content: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return path;
}

function define(name: string, source: string): string {
  return write(join(temp, name), source);
}

const resolve = async (s: ImageSpec | null, extra: { imageMap?: ImageMap; onProgress?: (e: ImageProgress) => void } = {}): Promise<ResolvedImage> => {
  const result = await resolveImage(docker, s, {
    defaultImage: BUSYBOX_IMAGE,
    definitionDir: temp,
    imageMap: extra.imageMap,
    onProgress: (e) => {
      if (e.kind === 'build' && e.image.startsWith('pipewright-build:')) createdTags.add(e.image);
      extra.onProgress?.(e);
    },
  });
  if (result.name.startsWith('pipewright-build:')) createdTags.add(result.name);
  return result;
};

/** `sh -c script` in a throwaway container of `image`; its output (exit 0 asserted). */
async function run(image: string, script: string): Promise<string> {
  const container = await docker.createContainer({ Image: image, Cmd: ['sh', '-c', script], Tty: true, Labels: { 'pipewright.test': nonce } });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const output = (await container.logs({ stdout: true, stderr: true, follow: false })).toString().replace(/\r\n/g, '\n');
    assert.equal(StatusCode, 0, output);
    return output;
  } finally {
    await container.remove({ force: true }).catch(() => {});
  }
}

/** The pipeline id of a finished `run --json` and its executions by node path. */
async function executions(stdout: string): Promise<{ id: string; byPath: Map<string, ExecutionRecord[]> }> {
  const id = (JSON.parse(stdout.trim().split('\n')[0]!) as { pipeline: string }).pipeline;
  const shown = JSON.parse((await cli(['show', id, '--json'], env)).stdout) as { nodes: { path: string; executions: ExecutionRecord[] }[] };
  for (const n of shown.nodes) for (const e of n.executions) if (e.image.startsWith('pipewright-build:')) createdTags.add(e.image);
  return { id, byPath: new Map(shown.nodes.map((n) => [n.path, n.executions])) };
}

describe('image map', () => {
  const map = new ImageMap(parseImageMapEnv(`alpine=${BUSYBOX_IMAGE}`));

  test('a node image is replaced, and the substitution recorded and reported', async () => {
    const progress: string[] = [];
    const result = await resolve(spec({ name: 'alpine:3.12' }), { imageMap: map, onProgress: (e) => progress.push(e.message) });
    assert.equal(result.name, BUSYBOX_IMAGE);
    assert.deepEqual(result.mapped, [{ from: 'alpine:3.12', to: BUSYBOX_IMAGE }]);
    assert.ok(progress.includes(`Using ${BUSYBOX_IMAGE} for alpine:3.12 (image map: PIPEWRIGHT_IMAGE_MAP)`), progress.join('\n'));
    // The default image (a node that names none) goes through the map as well.
    const byDefault = await resolveImage(docker, null, { defaultImage: 'python:3.12-slim', definitionDir: temp, imageMap: new ImageMap(parseImageMapEnv(`python=${PYTHON_IMAGE}`)) });
    assert.deepEqual([byDefault.name, byDefault.mapped], [PYTHON_IMAGE, [{ from: 'python:3.12-slim', to: PYTHON_IMAGE }]]);
    // A target the engine lacks: the error says the map chose it.
    const missing = new ImageMap(parseImageMapEnv(`alpine=pipewright-test/missing-${nonce}:1`));
    await assert.rejects(resolve(spec({ name: 'alpine:3.12' }), { imageMap: missing }), new RegExp(`The image map .* gave pipewright-test/missing-${nonce}:1 for alpine:3\\.12; map it to an image this engine has`));
    // Without the map the same spec needs a registry: it fails as unavailable.
    await assert.rejects(resolve(spec({ name: 'alpine:3.12' })), /alpine:3\.12 is not on the Docker engine/);
  });

  test('FROM lines of a Dockerfile the runner builds are mapped too; the text the build gets says so', async () => {
    const result = await resolve(spec({ dockerfile_text: `FROM alpine:3.12 AS base\n# ${nonce}\nRUN echo built > /x\nFROM base\n` }), { imageMap: map });
    assert.match(result.name, /^pipewright-build:/);
    assert.deepEqual(result.mapped, [{ from: 'alpine:3.12', to: BUSYBOX_IMAGE }]);
    assert.equal((await run(result.name, 'cat /x')).trim(), 'built');
  });

  test('CLI: an alpine:3.12 node runs on pipewright/busybox via --image-map or PIPEWRIGHT_IMAGE_MAP; show names both', async () => {
    const file = define('alpine_node.py', 'import conducto as co\nroot = co.Serial()\nroot["a"] = co.Exec("echo on $(cat /etc/passwd | head -1)", image="alpine:3.12")\n');
    const byFlag = await cli(['run', file, '--json', '--image-map', `alpine=${BUSYBOX_IMAGE}`], env);
    assert.equal(byFlag.code, 0, byFlag.stdout + byFlag.stderr);
    const { id, byPath } = await executions(byFlag.stdout);
    const a = byPath.get('/a')![0]!;
    assert.equal(a.image, BUSYBOX_IMAGE);
    assert.deepEqual(a.imageFrom, { mapped: [{ from: 'alpine:3.12', to: BUSYBOX_IMAGE }] });
    const show = await cli(['show', id], env);
    assert.match(show.stdout, new RegExp(`^image /a: alpine:3\\.12 -> ${BUSYBOX_IMAGE} \\(image map\\)$`, 'm'));
    const meta = JSON.parse(readFileSync(join(store, 'pipelines', id, 'meta.json'), 'utf8')) as { imageMap?: string[] };
    assert.deepEqual(meta.imageMap, [`alpine=${BUSYBOX_IMAGE}`]);
    // The instance keeps its map: a reset without the flag runs the node on busybox again.
    const reset = await cli(['reset', id, '/a'], env);
    assert.equal(reset.code, 0, reset.stdout + reset.stderr);
    const again = await executions(`{"pipeline":"${id}"}`);
    assert.deepEqual(again.byPath.get('/a')!.map((e) => e.image), [BUSYBOX_IMAGE, BUSYBOX_IMAGE]);

    const byEnv = await cli(['run', file], { ...env, PIPEWRIGHT_IMAGE_MAP: `python=${PYTHON_IMAGE}, alpine=${BUSYBOX_IMAGE}` });
    assert.equal(byEnv.code, 0, byEnv.stdout + byEnv.stderr);
    assert.match(byEnv.stderr, /Using pipewright\/busybox:latest for alpine:3\.12 \(image map: PIPEWRIGHT_IMAGE_MAP\)/);
  });

  test('CLI: a bad entry is refused naming the flag or the variable', async () => {
    const file = define('plain.py', 'import conducto as co\nroot = co.Serial()\nroot["a"] = co.Exec("true")\n');
    const flag = await cli(['run', file, '--image-map', 'alpine'], env);
    assert.equal(flag.code === 0, false);
    assert.match(flag.stderr, /--image-map: "alpine" is not FROM=TO/);
    const variable = await cli(['run', file], { ...env, PIPEWRIGHT_IMAGE_MAP: 'alpine=Bad:Name' });
    assert.equal(variable.code === 0, false);
    assert.match(variable.stderr, /PIPEWRIGHT_IMAGE_MAP: entry "alpine=Bad:Name": TO "Bad:Name" is not an image name/);
  });
});

describe('Image(image=, name=) and share_directory, as the examples write them', () => {
  test('name= is only a reference name; the shared folder is registered when the file runs as __main__', async () => {
    const file = define(
      'named_image.py',
      `import conducto as co\n\ndef main() -> co.Serial:\n    img = co.Image(image="${PYTHON_IMAGE}", name="my-shared-image", copy_dir=".")\n` +
        `    with co.Serial(image=img) as root:\n        co.Exec("python3 -c 'print(1)' && ls named_image.py", name="hi")\n    return root\n\n` +
        `if __name__ == "__main__":\n    co.Image.share_directory("named_image", ".")\n    co.Image.register_directory("examples", "..")\n    co.main(default=main)\n`,
    );
    const ran = await cli(['run', file, '--json'], env);
    assert.equal(ran.code, 0, ran.stdout + ran.stderr);
    const { id, byPath } = await executions(ran.stdout);
    const hi = byPath.get('/hi')![0]!;
    assert.equal(hi.params.image?.name, PYTHON_IMAGE);
    assert.equal(hi.params.image?.reference_name, 'my-shared-image');
    assert.equal((await cli(['logs', id, '/hi'], env)).stdout, '1\nnamed_image.py\n');
  });
});

describe('copy_url from a local git repository', () => {
  test('the branch is cloned into the image where copy_dir goes; the commit is recorded', async () => {
    const repo = join(temp, 'repo');
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: repo, encoding: 'utf8' }).trim();
    write(join(repo, 'hello.py'), 'print("main branch")\n');
    git('init', '-q', '-b', 'main');
    git('add', '.');
    git('commit', '-qm', 'main');
    git('checkout', '-qb', 'feature');
    write(join(repo, 'hello.py'), `print("feature ${nonce}")\n`);
    write(join(repo, 'sub/data.txt'), 'data\n');
    git('add', '.');
    git('commit', '-qm', 'feature');
    const commit = git('rev-parse', 'HEAD');
    git('checkout', '-q', 'main');

    const result = await resolve(spec({ name: PYTHON_IMAGE, copy_url: repo, copy_branch: 'feature' }));
    assert.equal(result.workdir, '/pipewright/src');
    assert.deepEqual(result.git, { url: repo, branch: 'feature', commit });
    const out = await run(result.name, 'cd /pipewright/src && python3 hello.py && cat sub/data.txt && echo "$CONDUCTO_GIT_BRANCH $CONDUCTO_GIT_SHA" && cat .git/HEAD');
    assert.deepEqual(out.trim().split('\n'), [`feature ${nonce}`, 'data', `feature ${commit}`, 'ref: refs/heads/feature']);

    // Through the CLI: the node works in the clone; the execution and `show` name the commit.
    const file = define('copy_url.py', `import conducto as co\nimg = co.Image("${PYTHON_IMAGE}", copy_url="${repo}", copy_branch="feature")\nroot = co.Serial(image=img)\nroot["hi"] = co.Exec("python3 hello.py")\n`);
    const ran = await cli(['run', file, '--json'], env);
    assert.equal(ran.code, 0, ran.stdout + ran.stderr);
    const { id, byPath } = await executions(ran.stdout);
    assert.deepEqual(byPath.get('/hi')![0]!.imageFrom, { git: { url: repo, branch: 'feature', commit } });
    assert.equal((await cli(['logs', id, '/hi'], env)).stdout, `feature ${nonce}\n`);
    assert.match((await cli(['show', id], env)).stdout, new RegExp(`^image /hi: ${repo} feature at ${commit}$`, 'm'));

    // copy_repo=True outside a git repository loaded (as in Conducto) but cannot be prepared.
    await assert.rejects(resolve(spec({ name: PYTHON_IMAGE, error: '/x/p.py:3: Image copy_repo=True, but /x is not inside a git repository' })), /^Error: \/x\/p\.py:3: Image copy_repo=True/);
    // A branch that is not there: the node fails saying so.
    await assert.rejects(resolve(spec({ name: PYTHON_IMAGE, copy_url: repo, copy_branch: 'nope' })), /Cloning .*repo \(copy_url\) branch nope failed: .*nope/s);
  });
});

describe('reqs_py and install_docker', () => {
  test('reqs_py=["conducto", ...]: our SDK serves conducto, the rest is installed', async () => {
    const text = generateDockerfile('b', 'b', { installPackages: [], installPip: ['pandas'], copyDir: false });
    assert.match(text, /pip install .* pandas$/m);
    // Through resolveImage: nothing to install, so no build (pip is not even in this image).
    const result = await resolve(spec({ name: PYTHON_IMAGE, install_pip: ['conducto', 'conducto==0.1.28', 'pipewright'] }));
    assert.deepEqual({ name: result.name, built: result.built }, { name: PYTHON_IMAGE, built: false });
    const file = define('reqs_conducto.py', `import conducto as co\nimg = co.Image("${PYTHON_IMAGE}", reqs_py=["conducto"])\nroot = co.Serial(image=img)\nroot["a"] = co.Exec("python3 -c 'import conducto; print(conducto.Exec.__name__)'")\n`);
    const ran = await cli(['run', file], env);
    assert.equal(ran.code, 0, ran.stdout + ran.stderr);
  });

  test('reqs_py on an image without pip: pip is installed first, as Conducto did', async () => {
    // `pip` itself is satisfied once python3-pip is there: no package index is needed.
    const result = await resolve(spec({ name: PYTHON_IMAGE, install_pip: ['conducto', 'pip'] }));
    assert.equal(result.built, true);
    assert.match(await run(result.name, 'python3 -m pip --version'), /^pip \d+/);
  });

  test('install_docker: the Docker CLI in the image; with requires_docker the node uses the engine', async () => {
    const file = define(
      'with_docker.py',
      `import conducto as co\nimg = co.Image("${PYTHON_IMAGE}", reqs_docker=True)\nroot = co.Serial(image=img)\n` +
        `root["inspect"] = co.Exec("docker image inspect --format '{{.Id}}' ${BUSYBOX_IMAGE}", requires_docker=True)\n` +
        `root["cli only"] = co.Exec("docker --version")\n`,
    );
    const ran = await cli(['run', file, '--json'], env);
    assert.equal(ran.code, 0, ran.stdout + ran.stderr);
    const { id } = await executions(ran.stdout);
    const busyboxId = (await docker.getImage(BUSYBOX_IMAGE).inspect()).Id;
    assert.equal((await cli(['logs', id, '/inspect'], env)).stdout.trim(), busyboxId);
    assert.match((await cli(['logs', id, '/cli only'], env)).stdout, /^Docker version /);
  });
});

describe('the offline base image', () => {
  test('pipewright/python has a python command (python3)', async () => {
    const file = define('python_c.py', `import conducto as co\nroot = co.Serial(image="${PYTHON_IMAGE}")\nroot["a"] = co.Exec("python -c 'import sys; print(sys.version_info[0])'")\n`);
    const ran = await cli(['run', file, '--json'], env);
    assert.equal(ran.code, 0, ran.stdout + ran.stderr);
    const { id } = await executions(ran.stdout);
    assert.equal((await cli(['logs', id, '/a'], env)).stdout, '3\n');
  });
});
