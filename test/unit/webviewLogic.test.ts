// The panel's pure logic: param validation (as the runner's), the line diff, timeline rounds and
// ticks, and log buffering.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { NodeParams } from '../../protocol/pipeline';
import type { NodeModification } from '../../protocol/runner';
import { validateModification } from '../../runner/model/validateModification';
import type { RunNode } from '../../runner/model/runTree';
import { diffLines, diffWords, isUnchanged } from '../../webview/diff';
import { countNewlines, LogBuffer, pieces } from '../../webview/logBuffer';
import { roundsOf, ticks } from '../../webview/timelineModel';
import { formFromDetails, parseEnv, parseSeconds, validateForm } from '../../webview/validate';

const params: NodeParams = { cpu: 2, gpu: 0, mem: 2, env: { A: '1' }, image: null, requires_docker: false, max_time: 3600, container_reuse_context: null, skip: false, suppress_errors: false, stop_on_error: true, max_concurrent: null, doc: null, title: null, tags: [] };
const exec = { type: 'Exec' as const, command: 'gzip -1 payload*.dat', params, skipped: false };

test('an unchanged form changes nothing', () => {
  const r = validateForm(formFromDetails(exec), exec);
  assert.deepEqual(r, { changes: {}, errors: {}, dirty: [] });
});

test('the underpowered node gets ten cores: only cpu is sent', () => {
  const form = { ...formFromDetails(exec), cpu: '10' };
  assert.deepEqual(validateForm(form, exec).changes, { cpu: 10 });
});

test('every field is checked as the runner checks it', () => {
  const cases: [Partial<ReturnType<typeof formFromDetails>>, string][] = [
    [{ cpu: '-1' }, 'cpu'],
    [{ cpu: 'ten' }, 'cpu'],
    [{ cpu: '' }, 'cpu'],
    [{ mem: '0' }, 'mem'],
    [{ gpu: '1.5' }, 'gpu'],
    [{ max_time: '0' }, 'max_time'],
    [{ max_time: 'soon' }, 'max_time'],
    [{ command: '   ' }, 'command'],
    [{ env: 'NOEQUALS' }, 'env'],
    [{ env: '1A=x' }, 'env'],
    [{ env: 'A=1\nA=2' }, 'env'],
    [{ image: 'has space' }, 'image'],
  ];
  for (const [patch, field] of cases) {
    const r = validateForm({ ...formFromDetails(exec), ...patch }, exec);
    assert.ok(r.errors[field as keyof typeof r.errors], `${JSON.stringify(patch)} is refused`);
    assert.equal((r.changes as Record<string, unknown>)[field], undefined);
  }
});

test('what the form accepts, the runner accepts too', () => {
  // The image builds from host files: a new name keeps them, as the runner requires.
  const image = { name: 'x', dockerfile: null, dockerfile_text: null, context: null, copy_dir: '/src/app', install_packages: [], install_pip: [], path_map: {} };
  const withImage = { ...exec, params: { ...params, image } };
  const node = { path: '/a', isLeaf: true, params: withImage.params } as unknown as RunNode;
  const forms = [{ cpu: '0' }, { cpu: '0.5' }, { mem: '0.25' }, { gpu: '2' }, { max_time: '30m' }, { command: 'echo hi' }, { env: 'A=1\nB=x=y\n# comment\n' }, { image: 'python:3.12' }, { image: '' }, { skip: true }];
  for (const patch of forms) {
    const r = validateForm({ ...formFromDetails(withImage), ...patch }, withImage);
    assert.deepEqual(r.errors, {}, JSON.stringify(patch));
    assert.doesNotThrow(() => validateModification(node, r.changes as NodeModification), JSON.stringify(r.changes));
  }
  assert.equal(parseSeconds('2h'), 7200);
  assert.equal(parseSeconds('90'), 90);
  assert.deepEqual(parseEnv('A=1\nB=x=y').env, { A: '1', B: 'x=y' });
});

test('containers have no command', () => {
  const serial = { ...exec, type: 'Serial' as const, command: undefined };
  const r = validateForm({ ...formFromDetails(serial), command: 'echo' }, serial);
  assert.match(r.errors.command!, /only Exec nodes/);
});

test('image: a new name keeps the rest of the image spec; empty means the default image', () => {
  const img = { name: 'old', dockerfile: 'Dockerfile', dockerfile_text: null, context: '.', copy_dir: null, install_packages: [], install_pip: [], path_map: {} };
  const node = { ...exec, params: { ...params, image: img } };
  assert.deepEqual(validateForm({ ...formFromDetails(node), image: 'new' }, node).changes.image, { ...img, name: 'new' });
  assert.equal(validateForm({ ...formFromDetails(node), image: '' }, node).changes.image, null);
});

test('diff: a changed line between unchanged ones, and word changes in a command', () => {
  assert.deepEqual(diffLines('a\nb\nc', 'a\nB\nc'), [
    { op: 'same', text: 'a' },
    { op: 'add', text: 'B' },
    { op: 'del', text: 'b' },
    { op: 'same', text: 'c' },
  ]);
  const w = diffWords('gzip -9 payload*.dat', 'gzip -1 payload*.dat');
  assert.deepEqual(w.filter((d) => d.op !== 'same'), [
    { op: 'del', text: '-9 ' },
    { op: 'add', text: '-1 ' },
  ]);
  // A rewritten phrase reads as one deletion and one insertion, not word by word.
  const phrase = diffWords('echo for i in $(seq 1 80); do echo tick $i; done', 'echo rerun with more cores; nproc');
  assert.deepEqual(phrase, [
    { op: 'same', text: 'echo ' },
    { op: 'del', text: 'for i in $(seq 1 80); do echo tick $i; done' },
    { op: 'add', text: 'rerun with more cores; nproc' },
  ]);
  assert.equal(phrase.filter((d) => d.op !== 'add').map((d) => d.text).join(''), 'echo for i in $(seq 1 80); do echo tick $i; done');
  assert.ok(isUnchanged(diffLines('same', 'same')));
  // Big inputs fall back to a plain replace instead of a quadratic table.
  const big = Array.from({ length: 3000 }, (_, i) => `l${i}`).join('\n');
  const other = Array.from({ length: 3000 }, (_, i) => `m${i}`).join('\n');
  assert.equal(diffLines(big, other).length, 6000);
});

test('rounds: each reset of a container is a round; skipped children show as fewer leaves run', () => {
  const e = (id: string, s: number, d: number | undefined, extra = {}) => ({ id, startedAt: s, ...(d === undefined ? {} : { endedAt: s + d, exitCode: 0 }), ...extra });
  const spans = [
    ...[0, 1, 2, 3, 4].map((i) => ({ path: `/w${i}`, e: e(`a${i}`, 1000 + i * 10, 20_000) })),
    ...[0, 1, 2].map((i) => ({ path: `/w${i}`, e: e(`b${i}`, 100_000 + i * 10, 12_000) })),
    { path: '/w0', e: e('c0', 200_000, undefined) },
  ];
  const rounds = roundsOf(spans, 205_000);
  assert.equal(rounds.length, 3);
  assert.deepEqual(rounds.map((r) => r.leaves), [5, 3, 1]);
  assert.equal(rounds[0]!.end - rounds[0]!.start, 20_040);
  assert.equal(rounds[2]!.state, 'running');
  assert.equal(rounds[2]!.end, 205_000);
  // A Serial's children run one after the other: one round.
  const serial = [{ path: '/a', e: e('x', 0, 1000) }, { path: '/b', e: e('y', 1200, 1000) }];
  assert.equal(roundsOf(serial, 5000).length, 1);
  const failed = roundsOf([{ path: '/a', e: e('x', 0, 10, { exitCode: 1 }) }], 100);
  assert.equal(failed[0]!.state, 'error');
});

test('ticks: round steps, far enough apart', () => {
  const t = ticks(0, 600_000, 800);
  assert.equal(t[0]!.label, '0');
  assert.ok(t.length >= 5 && t.length <= 11, String(t.length));
  assert.equal(t[1]!.label, '+1m');
  for (let i = 1; i < t.length; i++) assert.ok(((t[i]!.t - t[i - 1]!.t) / 600_000) * 800 >= 80);
});

test('log buffer: one write per drain, in order, only for the current subscription', () => {
  const b = new LogBuffer();
  const msg = (text: string, from: number, extra = {}) => ({ type: 'log' as const, execution: 'e2', stream: 'combined' as const, text, reset: false, from, to: from + text.length, size: from + text.length, done: false, ...extra });
  b.subscribe('e2', 'combined');
  assert.equal(b.accept(msg('late tail of e1\n', 0, { execution: 'e1' })), false);
  assert.equal(b.accept(msg('before the reset\n', 0)), false, 'chunks before the first read belong to an earlier subscription');
  assert.ok(b.accept(msg('line 1\n', 100, { reset: true })));
  assert.ok(b.accept(msg('line 2\n', 107)));
  assert.ok(b.accept(msg('line 3\n', 114)));
  assert.equal(b.accept(msg('line 2\n', 107)), false, 'a repeat is dropped');
  assert.deepEqual(b.take(), { reset: true, text: 'line 1\nline 2\nline 3\n' });
  assert.equal(b.take(), null);
  assert.equal(b.leftOut, 100);
  assert.equal(b.lines, 3);
  assert.ok(b.accept(msg('', 121, { done: true })));
  assert.ok(b.done);
  b.subscribe('e3', 'stderr');
  assert.deepEqual(b.take(), { reset: true, text: '' }, 'a new subscription clears the view');
});

test('log buffer: a million lines arrive in chunks and drain as a few writes', () => {
  const b = new LogBuffer();
  b.subscribe('e9', 'combined');
  const line = 'x'.repeat(60) + '\n';
  const chunk = line.repeat(10_000);
  let at = 0;
  const t0 = performance.now();
  let writes = 0;
  for (let i = 0; i < 100; i++) {
    b.accept({ type: 'log', execution: 'e9', stream: 'combined', text: chunk, reset: i === 0, from: at, to: at + chunk.length, size: at + chunk.length, done: false });
    at += chunk.length;
    if (i % 25 === 24 && b.take()) writes++; // a frame every 25 chunks
  }
  assert.equal(b.lines, 1_000_000);
  assert.equal(writes, 4);
  assert.equal(countNewlines('a\nb\n'), 2);
  assert.ok(performance.now() - t0 < 2000);
});

test('log buffer: take(max) hands over bounded pieces in order; pieces() splits a write', () => {
  const b = new LogBuffer();
  b.subscribe('e1', 'combined');
  const text = 'a\nbb\nccc\n';
  b.accept({ type: 'log', execution: 'e1', stream: 'combined', text, reset: true, from: 0, to: text.length, size: text.length, done: false });
  b.accept({ type: 'log', execution: 'e1', stream: 'combined', text: 'dddd\n', reset: false, from: text.length, to: text.length + 5, size: text.length + 5, done: false });
  assert.deepEqual(b.take(4), { reset: true, text: 'a\nbb' });
  assert.equal(b.resetPending, false);
  assert.deepEqual(b.take(100), { reset: false, text: '\nccc\ndddd\n' });
  assert.equal(b.take(), null);
  assert.deepEqual(pieces('abcdefg', 3), ['abc', 'def', 'g']);
  assert.deepEqual(pieces('', 3), []);
});

test('log buffer: beyond keepLines the oldest waiting lines are dropped whole, the end kept', () => {
  const b = new LogBuffer(5);
  b.subscribe('e1', 'combined');
  // Lines 1..12, chunks cut mid-line: a dropped chunk's unfinished line must not glue onto a kept one.
  const all = Array.from({ length: 12 }, (_, i) => `line ${i + 1}\n`).join('');
  const cuts = [0, 10, 11, 33, 40, 41, 70, all.length];
  for (let k = 0; k + 1 < cuts.length; k++) {
    const text = all.slice(cuts[k], cuts[k + 1]);
    b.accept({ type: 'log', execution: 'e1', stream: 'combined', text, reset: k === 0, from: cuts[k]!, to: cuts[k + 1]!, size: cuts[k + 1]!, done: false });
  }
  const drain = b.take()!;
  assert.equal(drain.reset, true, 'the new log still clears the terminal');
  assert.equal(drain.text, 'line 8\nline 9\nline 10\nline 11\nline 12\n');
  assert.equal(b.dropped, 7);
  assert.equal(b.lines, 12, 'every line is counted, shown or not');
  // An unfinished last line waits with its continuation.
  b.accept({ type: 'log', execution: 'e1', stream: 'combined', text: 'x\ny\nz\nw\nv\nhalf', reset: false, from: 200, to: 214, size: 214, done: false });
  b.accept({ type: 'log', execution: 'e1', stream: 'combined', text: ' done\n', reset: false, from: 214, to: 220, size: 220, done: false });
  assert.equal(b.take()!.text, 'y\nz\nw\nv\nhalf done\n');
});

test('log buffer: a million lines faster than the terminal parses: bounded memory, the last line kept', () => {
  const keep = 51_000;
  const b = new LogBuffer(keep);
  b.subscribe('e9', 'combined');
  let at = 0;
  let n = 0;
  let written = '';
  for (let chunk = 0; chunk < 250; chunk++) {
    let text = '';
    for (let i = 0; i < 4000; i++) text += `line ${++n}\n`;
    b.accept({ type: 'log', execution: 'e9', stream: 'combined', text, reset: chunk === 0, from: at, to: at + text.length, size: at + text.length, done: chunk === 249 });
    at += text.length;
    // The terminal takes 64 KB a frame, one frame per 10 chunks: far slower than they arrive.
    if (chunk % 10 === 0) written = b.take(64 * 1024)?.text ?? written;
    assert.ok(countNewlines(written) <= keep);
  }
  assert.equal(n, 1_000_000);
  assert.equal(b.lines, 1_000_000);
  let rest = '';
  for (let d = b.take(64 * 1024); d; d = b.take(64 * 1024)) rest += d.text;
  const lines = rest.split('\n').filter(Boolean);
  assert.ok(lines.length <= keep, `at most keepLines wait: ${lines.length}`);
  assert.equal(lines[lines.length - 1], 'line 1000000');
  assert.equal(Number(lines[0]!.slice(5)) + lines.length - 1, 1_000_000, 'what is left is contiguous up to the end');
  assert.ok(b.dropped > 750_000, `most lines never waited: dropped ${b.dropped}`);
});

test('find counts every match in the terminal buffer', async () => {
  const { findAll } = await import('../../webview/logSearch');
  const lines = ['a warning', 'none', 'WARNING twice warning'];
  assert.deepEqual(findAll(lines.length, (i) => lines[i]!, 'warning'), [[0, 2], [2, 0], [2, 14]]);
  assert.deepEqual(findAll(lines.length, (i) => lines[i]!, ''), []);
  assert.equal(findAll(1, () => 'aaaa', 'a', 3).length, 3);
});
