// The image map: which references a key matches, how its sources are read and refused, and how
// FROM lines of a Dockerfile are rewritten.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ImageMap, ImageMapError, mapDockerfileFroms, parseEntryStrings, parseImageMapEnv, parseImageMapSetting } from '../../runner/docker/imageMap';
import { redactUrl } from '../../runner/docker/gitClone';
import { imageMapFromSources } from '../../runner/runContext';

const DIGEST = `sha256:${'a'.repeat(64)}`;

test('a key without tag or digest matches every tag and digest of its repository', () => {
  const map = new ImageMap(parseImageMapEnv('alpine=pipewright/busybox:latest, python=pipewright/python:latest'));
  for (const ref of ['alpine', 'alpine:latest', 'alpine:3.12', `alpine@${DIGEST}`, `alpine:3@${DIGEST}`, 'library/alpine:3', 'docker.io/library/alpine', 'index.docker.io/library/alpine:edge']) {
    assert.equal(map.apply(ref), 'pipewright/busybox:latest', ref);
  }
  assert.equal(map.apply('python:3.8-alpine'), 'pipewright/python:latest');
  for (const ref of ['alpinex', 'me/alpine', 'quay.io/alpine', 'ghcr.io/library/alpine:3', 'pipewright/busybox:latest', `sha256:${'b'.repeat(64)}`]) {
    assert.equal(map.apply(ref), ref, ref);
  }
});

test('a key with a tag or digest matches that exact reference, before a repository key', () => {
  const map = new ImageMap(parseEntryStrings(['python=pipewright/python:latest', 'python:3.8-slim=mirror.local/python:3.8-slim', `node@${DIGEST}=pipewright/node:1`, 'alpine:latest=pipewright/busybox'], '--image-map'));
  assert.equal(map.apply('python:3.8-slim'), 'mirror.local/python:3.8-slim');
  assert.equal(map.apply('docker.io/library/python:3.8-slim'), 'mirror.local/python:3.8-slim');
  assert.equal(map.apply('python:3.9'), 'pipewright/python:latest');
  assert.equal(map.apply(`node@${DIGEST}`), 'pipewright/node:1');
  assert.equal(map.apply('node:20'), 'node:20');
  // A bare name means :latest.
  assert.equal(map.apply('alpine'), 'pipewright/busybox');
  assert.equal(map.apply('alpine:3.12'), 'alpine:3.12');
});

test('later sources win for the same key', () => {
  const map = imageMapFromSources({ env: 'alpine=a/env', setting: { alpine: 'a/setting' }, flags: ['python=p/flag'] });
  assert.equal(map.apply('alpine:3'), 'a/setting');
  assert.equal(map.apply('python'), 'p/flag');
  assert.equal(imageMapFromSources({ env: 'alpine=a/env', flags: ['alpine=a/flag'] }).apply('alpine'), 'a/flag');
});

test('bad entries name the variable, flag or setting', () => {
  const refused = (f: () => unknown, pattern: RegExp) => assert.throws(f, (e: unknown) => e instanceof ImageMapError && pattern.test(e.message));
  refused(() => parseImageMapEnv('alpine'), /^PIPEWRIGHT_IMAGE_MAP: "alpine" is not FROM=TO/);
  refused(() => parseImageMapEnv('alpine=,x=y'), /^PIPEWRIGHT_IMAGE_MAP: entry "alpine=" is not FROM=TO/);
  refused(() => parseImageMapEnv('Alpine=x'), /^PIPEWRIGHT_IMAGE_MAP: entry "Alpine=x": FROM "Alpine" is not an image name: repository names must be lowercase/);
  refused(() => parseEntryStrings(['alpine=bad tag:x'], '--image-map'), /^--image-map: entry "alpine=bad tag:x": TO "bad tag:x" is not an image name/);
  refused(() => parseEntryStrings(['alpine=a', 'docker.io/library/alpine=b'], '--image-map'), /"docker\.io\/library\/alpine" is already mapped to "a"/);
  refused(() => parseEntryStrings([`${'c'.repeat(64)}=a`], '--image-map'), /FROM is an image id/);
  refused(() => parseImageMapSetting('alpine=x'), /^the pipewright\.imageMap setting: it is "alpine=x"/);
  refused(() => parseImageMapSetting({ alpine: 3 }), /^the pipewright\.imageMap setting: "alpine" maps to 3/);
  refused(() => parseImageMapSetting(['alpine=x', 'oops']), /item 2 \("oops"\) is not FROM=TO/);
  assert.deepEqual(parseImageMapSetting([{ from: 'alpine', to: 'x' }, 'python=y']).map((e) => [e.from, e.to]), [['alpine', 'x'], ['python', 'y']]);
  assert.deepEqual(parseImageMapSetting({}), []);
  assert.deepEqual(parseImageMapEnv(' , '), []);
});

test('FROM lines: plain, --platform, AS, continuations; stages, scratch and ARGs left alone', () => {
  const map = new ImageMap(parseImageMapEnv('python=pipewright/python:latest,alpine=pipewright/busybox:latest'));
  const text = [
    'ARG BASE=alpine',
    'FROM --platform=linux/amd64 python:3.8-slim AS build',
    'RUN echo FROM alpine',
    'FROM build AS test',
    'from \\',
    '  alpine:3.12',
    'FROM scratch',
    'FROM ${BASE}',
    'FROM busybox:1',
    '',
  ].join('\n');
  const result = mapDockerfileFroms(text, map);
  assert.equal(
    result.text,
    [
      'ARG BASE=alpine',
      'FROM --platform=linux/amd64 pipewright/python:latest AS build',
      'RUN echo FROM alpine',
      'FROM build AS test',
      'from \\',
      '  pipewright/busybox:latest',
      'FROM scratch',
      'FROM ${BASE}',
      'FROM busybox:1',
      '',
    ].join('\n'),
  );
  assert.deepEqual(result.mapped, [
    { from: 'python:3.8-slim', to: 'pipewright/python:latest' },
    { from: 'alpine:3.12', to: 'pipewright/busybox:latest' },
  ]);
  assert.deepEqual(result.notes, ['Dockerfile line 8: FROM ${BASE} is built from an ARG, so the image map does not apply to it (give the ARG a mapped value instead)']);
  // No map: the text as it was, no notes.
  assert.deepEqual(mapDockerfileFroms(text, new ImageMap()), { text, mapped: [], notes: [] });
});

test('copy_url credentials never reach a message, the image or the run', () => {
  assert.equal(redactUrl('https://me:tok3n@github.com/org/repo.git'), 'https://***@github.com/org/repo.git');
  assert.equal(redactUrl('https://github.com/org/repo.git'), 'https://github.com/org/repo.git');
  assert.equal(redactUrl('/home/me/repo'), '/home/me/repo');
  assert.equal(redactUrl('git@github.com:org/repo.git'), 'git@github.com:org/repo.git');
});
