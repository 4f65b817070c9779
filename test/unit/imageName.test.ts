// Image names are checked against Docker's reference grammar before any engine is asked, so a bad
// one is reported as a bad name (which one, and where it was given), not as Docker being down.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type Dockerode from 'dockerode';
import { imageNameProblem } from '../../protocol/imageReference';
import type { ImageSpec } from '../../protocol/pipeline';
import { DockerUnavailableError, InvalidImageNameError } from '../../runner/docker/errors';
import { resolveImage } from '../../runner/docker/images';
import { inspectImageId } from '../../runner/docker/pull';
import { RunTree } from '../../runner/model/runTree';
import { validateModification } from '../../runner/model/validateModification';
import { formFromDetails, validateForm } from '../../webview/validate';
import { node } from '../helpers/nodes';

const HEX = 'a'.repeat(64);

test('image references: what Docker takes', () => {
  for (const ok of ['ubuntu', 'python:3.12-slim', 'pipewright/python:latest', 'a__b/c--d.e_f:V1.0_rc-2', 'localhost:5000', 'localhost:5000/team/app:1', 'Registry.Example.com:443/team/app', '[::1]:5000/x', `app@sha256:${HEX}`, `sha256:${HEX}`, HEX]) {
    assert.equal(imageNameProblem(ok), null, ok);
  }
});

test('image references: what it does not, and why', () => {
  const cases: [string, RegExp][] = [
    ['UPPER/Case:bad tag', /^it contains whitespace$/],
    ['UPPER/Case:badtag', /^repository names must be lowercase \("UPPER\/Case"\)$/],
    ['Python', /^repository names must be lowercase/],
    ['python:bad_tag!', /^the tag "bad_tag!" is not one/],
    ['python:', /^the tag "" is not one/],
    ['python:-x', /^the tag "-x" is not one/],
    [`python:${'x'.repeat(129)}`, /^the tag "x+" is not one/],
    ['', /^it is empty$/],
    [':latest', /^"" is not a repository name/],
    ['a//b', /^"a\/\/b" is not a repository name/],
    ['-a', /^"-a" is not a repository name/],
    ['a@sha256:xyz', /^the digest "sha256:xyz" is not ALGORITHM:HEX/],
    [`${'a'.repeat(256)}`, /longer than 255/],
  ];
  for (const [ref, why] of cases) assert.match(imageNameProblem(ref) ?? 'accepted', why, ref);
});

/** An engine that must not be asked: the name is refused before. */
const untouchable = {
  modem: { socketPath: '/var/run/docker.sock' },
  getImage: () => assert.fail('the engine was asked about an invalid name'),
  pull: () => assert.fail('the engine was asked to pull an invalid name'),
} as unknown as Dockerode;

function spec(fields: Partial<ImageSpec>): ImageSpec {
  return { name: null, dockerfile: null, dockerfile_text: null, context: null, copy_dir: null, install_packages: [], install_pip: [], path_map: {}, ...fields };
}

test('resolveImage: an invalid name is refused before the engine is asked, naming it and where it was given', async () => {
  const opts = { defaultImage: 'pipewright/python:latest', definitionDir: '/x' };
  const refused = (image: string, where: RegExp) => (e: unknown) => {
    assert.ok(e instanceof InvalidImageNameError, String(e));
    assert.equal(e.image, image);
    assert.match(e.message, where);
    assert.doesNotMatch(e.message, /Docker is not running|Cannot talk to Docker|Start it/);
    return true;
  };
  await assert.rejects(resolveImage(untouchable, spec({ name: 'UPPER/Case:bad tag' }), opts), refused('UPPER/Case:bad tag', /^Invalid image name "UPPER\/Case:bad tag" in the node's Image\(image=\.\.\.\): it contains whitespace$/));
  await assert.rejects(resolveImage(untouchable, spec({ name: 'UPPER/Case', install_pip: ['x'] }), opts), refused('UPPER/Case', /in the node's Image\(image=\.\.\.\): repository names must be lowercase/));
  await assert.rejects(resolveImage(untouchable, null, { ...opts, defaultImage: 'My Image' }), refused('My Image', /as the default image \(--image, PIPEWRIGHT_DEFAULT_IMAGE or the pipewright\.defaultImage setting\)/));
  await assert.rejects(resolveImage(untouchable, spec({ dockerfile_text: 'FROM Busybox\n' }), opts), refused('Busybox', /in a FROM line of the Dockerfile: repository names must be lowercase/));
});

test('inspecting: a name the HTTP client or the engine refuses is an invalid name; no engine is still DockerUnavailableError', async () => {
  const engine = (error: object) => ({ modem: { socketPath: '/var/run/docker.sock' }, getImage: () => ({ inspect: () => Promise.reject(Object.assign(new Error('refused'), error)) }) }) as unknown as Dockerode;
  await assert.rejects(inspectImageId(engine({ code: 'ERR_UNESCAPED_CHARACTERS' }), 'a b', 1000), (e: unknown) => e instanceof InvalidImageNameError && /^Invalid image name "a b": /.test(e.message));
  await assert.rejects(inspectImageId(engine({ statusCode: 400, json: { message: 'invalid reference format' } }), 'x', 1000), (e: unknown) => e instanceof InvalidImageNameError && e.message === 'Invalid image name "x": invalid reference format');
  await assert.rejects(inspectImageId(engine({ code: 'ECONNREFUSED' }), 'ubuntu', 1000), (e: unknown) => e instanceof DockerUnavailableError && /not running/.test(e.message));
});

test('a modification naming an invalid image is refused naming the node, in the runner and in the panel’s form', () => {
  const tree = new RunTree([node('/', 'Serial'), node('/a', 'Exec', 'echo')]);
  assert.throws(() => validateModification(tree.get('/a'), { image: spec({ name: 'UPPER/Case' }) }), /^Error: \/a: image\.name "UPPER\/Case" is not a valid image name: repository names must be lowercase/);
  const exec = { type: 'Exec' as const, command: 'echo', params: tree.get('/a').params, skipped: false };
  assert.match(validateForm({ ...formFromDetails(exec), image: 'UPPER/Case' }, exec).errors.image ?? '', /repository names must be lowercase/);
});
