// Hostile nodes in the same run, on the real engine: a node can touch its own container, the
// pipeline's shared data, and the Docker socket only when it requires docker. It cannot write the
// user's source folder, forge another node's result, read a host file through its log, reach
// another worker, or leave processes that outlive it.
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { LABELS } from '../../runner/localDocker/containerConfig';
import { BUSYBOX_IMAGE, dockerSuite, lastLog, until } from '../helpers/runnerHarness';

const h = dockerSuite();

/** Every file under a folder, with its content. */
function filesUnder(dir: string): { file: string; content: Buffer }[] {
  const out: { file: string; content: Buffer }[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = path.join(d, name);
      const st = lstatSync(full, { throwIfNoEntry: false }); // a symlink a node planted is not followed
      if (!st) continue;
      if (st.isDirectory()) walk(full);
      else if (st.isFile()) out.push({ file: full, content: readFileSync(full) });
    }
  };
  walk(dir);
  return out;
}

test("a node works in its image's WORKDIR, sees the definition's folder read-only, and writes nothing into it", async () => {
  const defs = path.dirname(h.write('src_ro/keep.txt', 'the user keeps this\n'));
  h.write('src_ro/Dockerfile', `FROM ${BUSYBOX_IMAGE}\nWORKDIR /app\nRUN echo baked > here.txt\n`);
  const file = h.write(
    'src_ro/pipeline.py',
    `import conducto as co
root = co.Serial()
root["plain"] = co.Exec("pwd; touch model.pkl; cat /pipewright/src/keep.txt; touch /pipewright/src/pwned 2>/dev/null || echo read-only; (echo x > /pipewright/src/keep.txt) 2>/dev/null || echo still read-only")
root["workdir"] = co.Exec("pwd; cat here.txt", image=co.Image(dockerfile="Dockerfile"))
`,
  );
  const before = readdirSync(defs).sort();
  const { run } = await h.run(file);
  assert.equal(run.tree.get('/plain').state, 'done');
  const plain = lastLog(run, '/plain');
  assert.match(plain, /^\/\n/, 'the image WORKDIR (/ for this image), not the definition folder');
  assert.match(plain, /the user keeps this/, 'the definition folder is readable (callables, Lazy)');
  assert.match(plain, /read-only\nstill read-only\n$/);
  assert.equal(lastLog(run, '/workdir'), '/app\nbaked\n', "a Dockerfile's WORKDIR and its files are the node's");
  assert.deepEqual(readdirSync(defs).sort(), before, 'no model.pkl, no pwned in the user folder');
  assert.equal(readFileSync(path.join(defs, 'keep.txt'), 'utf8'), 'the user keeps this\n');
  await run.close();
});

test('only a node that requires docker has the socket; no other node finds a channel to its worker', async () => {
  const file = h.write(
    'socket.py',
    `import conducto as co
root = co.Parallel()
root["privileged"] = co.Exec("test -S /var/run/docker.sock && echo has-socket; sleep 3", requires_docker=True)
root["hostile"] = co.Exec("test -S /var/run/docker.sock && echo has-socket || echo no-socket; ls /pipewright; ls /pipewright/exec 2>&1 | head -1; find / -name '*.fifo' -o -name 'docker.sock' 2>/dev/null | grep -v '^/proc' | head -3; echo 'test -S /var/run/docker.sock && touch /pipewright/data/pwned-with-socket' > /pipewright/exec/pwn.sh 2>/dev/null; for f in /pipewright/exec/*.fifo; do echo pwn > $f; done 2>/dev/null; sleep 2; true")
`,
  );
  const { run } = await h.run(file);
  assert.equal(lastLog(run, '/privileged'), 'has-socket\n');
  const hostile = lastLog(run, '/hostile');
  assert.match(hostile, /^no-socket\ndata\nsdk\nsrc\n/, hostile);
  assert.match(hostile, /No such file or directory/, 'no exec folder of jobs and results to write into');
  assert.ok(!/fifo|docker\.sock/.test(hostile.split('\n').slice(5).join('\n')), hostile);
  assert.ok(!existsSync(path.join(run.space.dataDir, 'pwned-with-socket')), 'no job of the hostile node ran with the socket');
  await run.close();
});

test("a hostile node cannot forge another node's result: fake end markers, in its own worker or in the next job's", async () => {
  // Every guess at the channel's markers, printed on both streams, and left behind for later.
  const forge = `for i in $(seq 1 30); do echo 0 > /pipewright/exec/e$i.exit; done 2>/dev/null; for i in 1 2 3 4 5 6 7 8 9; do printf '\\\\000PWEND:%032d 0\\\\n' $i; printf '\\\\000PWEND:%032d 0\\\\n' $i >&2; done; printf 'e2 0\\\\n'; (sleep 1; printf '\\\\000PWEND:%032d 0\\\\n' 0 > /proc/1/fd/1) & exit 0`;
  const file = h.write(
    'forge.py',
    `import conducto as co
root = co.Parallel()
root["tests"] = co.Exec("sleep 2; echo failing; exit 1")
root["hostile"] = co.Exec("${forge}", container_reuse_context="other")
# A context of their own: in the shared pool the victim may take the worker /tests left (the
# hostile node waits for a core while /tests runs), and then tests nothing.
same = co.Serial(container_reuse_context="same")
same["hostile"] = co.Exec("${forge}")
same["victim"] = co.Exec("sleep 2; exit 3")
root["same_worker"] = same
# Without bash the job runs in the agent's own shell: its variables must not give the nonce away
# (an end of its own, then more, would pass for the next job's output).
shell = co.Serial(image="${BUSYBOX_IMAGE}", container_reuse_context="shell")
shell["hostile"] = co.Exec(r"""printf '\\000PWEND:%s 0 1 1 0\\n' "$nonce" "$script" "$line"; printf '\\000PWEND:%s 0 1 1 0\\n' "$nonce" >&2; for i in $(seq 40); do echo INJECTED; echo INJECTED >&2; sleep 0.1; done""")
shell["victim"] = co.Exec("echo mine; exit 3")
root["same_shell"] = shell
`,
  );
  const { run } = await h.run(file);
  assert.equal(run.tree.get('/tests').state, 'error');
  assert.equal(run.tree.get('/tests').executions[0]!.exitCode, 1);
  assert.equal(lastLog(run, '/tests'), 'failing\n');
  assert.equal(run.tree.get('/same_worker/victim').state, 'error', 'the next node in the same worker keeps its own status');
  assert.equal(run.tree.get('/same_worker/victim').executions[0]!.exitCode, 3);
  assert.equal(run.tree.get('/same_worker/hostile').executions[0]!.containerId, run.tree.get('/same_worker/victim').executions[0]!.containerId, 'they shared a worker');
  const victim = run.tree.get('/same_shell/victim');
  assert.equal(victim.executions[0]!.exitCode, 3, 'the next node in a worker without bash keeps its own status');
  assert.equal(lastLog(run, '/same_shell/victim'), 'mine\n', 'and its own output only');
  assert.equal(run.tree.get('/same_shell/hostile').executions[0]!.containerId, victim.executions[0]!.containerId, 'they shared a worker');
  assert.equal(run.tree.root.state, 'error');
  await run.close();
});

test("a node cannot read a host file through its log, and the store keeps env secrets out of containers' view", async () => {
  const secretFile = path.join(h.dir, 'host-secret');
  const secret = `host-secret-${randomBytes(8).toString('hex')}`;
  writeFileSync(secretFile, secret, { mode: 0o600 });
  const envSecret = `env-secret-${randomBytes(8).toString('hex')}`;
  const victim = path.join(h.dir, 'victim.txt');
  writeFileSync(victim, 'original\n');
  const file = h.write(
    'leak.py',
    `import conducto as co
root = co.Serial(env={"TOKEN": "${envSecret}"})
root["hostile"] = co.Exec("ln -sf ${secretFile} /pipewright/exec/e1.log 2>&1; for i in 2 3 4 5; do ln -sf ${victim} /pipewright/exec/e$i.sh; ln -sf ${secretFile} /pipewright/exec/e$i.log; done 2>/dev/null; ln -s ${secretFile} /pipewright/data/leak; sleep 2; echo $TOKEN | wc -c")
root["next"] = co.Exec("echo next")
`,
  );
  const { run } = await h.create(file);
  run.setAutorun(true);
  await until('the node to run', () => Boolean(run.tree.get('/hostile').executions[0]?.containerId));
  const worker = await (await h.context()).docker.listContainers({ filters: { label: [`${LABELS.pipeline}=${run.id}`] } });
  const env = JSON.stringify(await Promise.all(worker.map(async (c) => (await (await h.context()).docker.getContainer(c.Id).inspect()).Config.Env)));
  assert.ok(!env.includes(envSecret), 'the env reaches the job over its channel, not through the container config');
  await run.settled();
  assert.equal(run.tree.get('/hostile').state, 'done');
  assert.equal(lastLog(run, '/next'), 'next\n');
  assert.equal(readFileSync(victim, 'utf8'), 'original\n', 'no host file is written through a planted symlink');
  for (const { file: f, content } of filesUnder(path.join(h.storeRoot, 'pipelines', run.id))) {
    assert.ok(!content.includes(secret), `${f} holds the host file's content`);
    if (content.includes(envSecret)) assert.ok(['pipeline.json', 'events.jsonl'].includes(path.basename(f)), `${f} holds the env secret`);
  }
  await run.close();
});

test('reuse contexts never share a filesystem, nor do two runs of a pipeline; a background child does not hold its node', async () => {
  const file = h.write(
    'fresh.py',
    `import conducto as co
root = co.Serial()
root["a"] = co.Exec("test -e /tmp/mark && echo leaked || echo fresh; touch /tmp/mark", container_reuse_context="A")
root["b"] = co.Exec("test -e /tmp/mark && echo shared || echo apart", container_reuse_context="B")
root["server"] = co.Exec("sleep 300 & echo serving")
`,
  );
  const started = Date.now();
  const first = await h.run(file);
  assert.equal(lastLog(first.run, '/a'), 'fresh\n');
  assert.equal(lastLog(first.run, '/b'), 'apart\n');
  assert.equal(first.run.tree.get('/server').state, 'done', 'its command ended; the child holding stdout does not keep it running');
  assert.equal(lastLog(first.run, '/server'), 'serving\n');
  assert.ok(Date.now() - started < 60_000);
  await first.run.close();
  const second = await h.run(file);
  assert.equal(lastLog(second.run, '/a'), 'fresh\n', 'a new pipeline instance starts from fresh workers');
  await second.run.close();
});

test("a definition saved above the store (a home folder holding ~/.pipewright): nodes read the definition, never the store, mounted or copied", async () => {
  // The store holds every pipeline's logs, env values and data (0600): the definition's folder is
  // mounted read-only for callables and Lazy, but the store inside it is not the pipeline's to read.
  const secret = `env-secret-${randomBytes(8).toString('hex')}`;
  const otherData = `other-data-${randomBytes(8).toString('hex')}`;
  const write = (name: string, source: string) => {
    const file = path.join(h.dir, name); // h.dir holds the store (h.storeRoot)
    writeFileSync(file, source);
    return file;
  };
  const other = await h.run(write('other_home.py', `import conducto as co\nroot = co.Serial()\nroot["put"] = co.Exec("echo ${otherData} > /pipewright/data/kept")\n`));
  assert.equal(other.run.tree.root.state, 'done');
  const spy = `ls /pipewright/src | grep -x spy_home.py; ls -A /pipewright/src/store | wc -l; grep -rl -e ${otherData} -e ${secret} /pipewright/src/store 2>/dev/null; touch /pipewright/src/store/x 2>/dev/null || echo read-only`;
  const copied = 'cd /pipewright/src; test -e spy_home.py && echo has-definition; test -e store && echo store-copied || echo no-store';
  const { run } = await h.run(
    write('spy_home.py', `import conducto as co\nroot = co.Serial(env={"TOKEN": "${secret}"})\nroot["spy"] = co.Exec("${spy}")\nroot["copied"] = co.Exec("${copied}", image=co.Image(copy_dir="."))\n`),
  );
  assert.ok(existsSync(path.join(h.storeRoot, 'pipelines', other.run.id, 'data', 'kept')), 'the other pipeline left its data in the store');
  assert.equal(run.definitionDir, h.dir, 'the definition folder holds the store');
  assert.equal(lastLog(run, '/spy'), 'spy_home.py\n0\nread-only\n', 'the definition is there; the store under it is an empty, read-only folder');
  assert.equal(lastLog(run, '/copied'), 'has-definition\nno-store\n', 'copy_dir of that folder puts the definition into the image, not the store');
  await other.run.close();
  await run.close();
});
