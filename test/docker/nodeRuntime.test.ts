// What a node sees when it runs, as Conducto's nodes see it, on the real engine: the data folders
// at /conducto/data/pipeline and /conducto/data/user, the conducto-data-* tools and co.data.user,
// co.nb, the CONDUCTO_* variables, the pipeline's own network, bash when the image has it. And
// what it still cannot see: another pipeline's data or network, the host's files.
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { LABELS } from '../../runner/localDocker/containerConfig';
import type { LocalDockerPipeline } from '../../runner/localDocker/localDockerBackend';
import { conductoNetworkName, PipelineNetwork } from '../../runner/localDocker/pipelineNetwork';
import { BUSYBOX_IMAGE, dockerSuite, lastLog, until } from '../helpers/runnerHarness';

const h = dockerSuite();

test('/conducto/data/pipeline is the pipeline\'s data folder and /conducto/data/user the user\'s, shared with later pipelines only', async () => {
  const secret = `host-${randomBytes(6).toString('hex')}`;
  const secretFile = path.join(h.dir, 'host-secret');
  writeFileSync(secretFile, secret);
  const file = h.write(
    'paths.py',
    `import conducto as co
root = co.Serial()
root["write"] = co.Exec("mkdir -p /conducto/data/pipeline/raw && echo pipe > /conducto/data/pipeline/raw/cust && echo mine > /conducto/data/user/note && ln -s ${secretFile} /conducto/data/user/hostlink && ls /conducto/data")
root["read"] = co.Exec("cat /pipewright/data/raw/cust $PIPEWRIGHT_DATA/raw/cust /conducto/data/user/note")
`,
  );
  const first = await h.run(file);
  assert.equal(first.run.tree.root.state, 'done', lastLog(first.run, '/write'));
  assert.equal(lastLog(first.run, '/write'), 'pipeline\nuser\n');
  assert.equal(lastLog(first.run, '/read'), 'pipe\npipe\nmine\n');
  assert.equal(readFileSync(path.join(first.run.space.dataDir, 'raw', 'cust'), 'utf8'), 'pipe\n', 'the same folder as co.data.pipeline');
  assert.equal(readFileSync(path.join(h.storeRoot, 'user-data', 'note'), 'utf8'), 'mine\n', "the user's data is the store's, beside its pipelines");
  await first.run.close();

  const second = h.write(
    'paths2.py',
    `import conducto as co
root = co.Serial()
root["look"] = co.Exec("cat /conducto/data/user/note; ls /conducto/data/pipeline | wc -l; cat /conducto/data/user/hostlink 2>&1 | head -c 300; echo; ls /conducto/data/user/..")
`,
  );
  const { run } = await h.run(second);
  const look = lastLog(run, '/look');
  assert.match(look, /^mine\n0\n/, "another pipeline's data is not there; the user's is");
  assert.ok(!look.includes(secret), 'a link a node left in the user data leads into the container, never to the host file');
  assert.match(look, /No such file or directory/);
  assert.match(look, /\npipeline\nuser\n$/, 'above the user data is the container, not the store');
  await run.close();
});

test('conducto-data-pipeline and conducto-data-user, as the examples call them, and co.data.pipeline.url in a callable', async () => {
  const file = h.write(
    'tools.py',
    `import conducto as co

def plot():
    co.data.pipeline.puts("plots/coherence.png", b"PNG")
    print("url", co.data.pipeline.url("plots/coherence.png"))
    print("user", co.data.user.gets("model").decode().strip())

root = co.Serial()
root["tools"] = co.Exec("""echo 7 > seven && conducto-data-pipeline put --name n/seven --file seven && conducto-data-pipeline exists n/seven && conducto-data-pipeline list n && conducto-data-pipeline size n/seven && echo weights | conducto-data-user puts model && IMAGE_URL=$(conducto-data-pipeline url --name "image_1.png" | sed 's/"//g') && echo "$IMAGE_URL" && mkdir -p deps && echo lib > deps/a && conducto-data-pipeline save-cache deps v1 deps && conducto-data-pipeline cache-exists deps v1 && rm -r deps && conducto-data-pipeline restore-cache deps v1 . && cat deps/a""")
root["plot"] = co.Exec(plot)
`,
  );
  const { run } = await h.run(file);
  assert.equal(run.tree.root.state, 'done', lastLog(run, '/tools'));
  assert.equal(lastLog(run, '/tools'), `true\n["n/seven"]\n2\n/gw/manager/data/${run.id}/pipeline/image_1.png\ntrue\nlib\n`);
  assert.equal(lastLog(run, '/plot'), `url /gw/manager/data/${run.id}/pipeline/plots/coherence.png\nuser weights\n`);
  assert.equal(readFileSync(path.join(run.space.dataDir, 'n', 'seven'), 'utf8'), '7\n');
  await run.close();
});

test('a hostile node cannot lead the data tools out of the data folders: .. and links are refused, and the runner follows none', async () => {
  const victim = path.join(h.dir, 'victim.txt');
  writeFileSync(victim, 'original\n');
  const file = h.write(
    'escape.py',
    `import conducto as co
root = co.Serial()
root["hostile"] = co.Exec("""ln -s /etc /conducto/data/pipeline/etc; ln -s ${path.dirname(victim)} /conducto/data/user/hostdir
conducto-data-pipeline gets ../../../etc/hostname; echo "dotdot=$?"
conducto-data-pipeline gets etc/hostname; echo "link=$?"
echo pwned | conducto-data-user puts hostdir/victim.txt; echo "put=$?"
conducto-data-pipeline get --name /../../etc/passwd --file out; echo "abs=$?"
conducto-data-pipeline list --id some-other-pipeline; echo "other=$?"
python3 -c 'import conducto as co; co.data.user.puts("../escaped", b"x")' 2>&1 | tail -1
true""")
`,
  );
  const { run } = await h.run(file);
  const log = lastLog(run, '/hostile');
  assert.match(log, /dotdot=1\n/);
  assert.match(log, /link=1\n/);
  assert.match(log, /put=1\n/);
  assert.match(log, /abs=1\n/);
  assert.match(log, /other=2\n/);
  assert.match(log, /leads out of co\.data\.pipeline's folder/);
  assert.match(log, /ValueError: data name '\.\.\/escaped' leads out of co\.data\.user's folder\n$/);
  assert.equal(readFileSync(victim, 'utf8'), 'original\n');
  assert.ok(!existsSync(path.join(h.storeRoot, 'escaped')), 'nothing lands beside the user data');
  await run.close();
});

test('co.nb inside node commands: cells print as Conducto markdown', async () => {
  h.write(
    'nbdefs/commands.py',
    `import conducto as co

def analyze():
    with co.nb.cell():
        # ## Summary
        total = sum(range(5))
        print("total", total)
`,
  );
  const file = h.write(
    'nbdefs/pipeline.py',
    `import conducto as co
from commands import analyze
root = co.Serial()
root["callable"] = co.Exec(analyze)
root["script"] = co.Exec("cd /pipewright/src && python -c 'import commands; commands.analyze()'")
`,
  );
  const { run } = await h.run(file);
  const expected = '\n<ConductoMarkdown> ## Summary\n```python\ntotal = sum(range(5))\nprint("total", total)\n```\ntotal 10\n</ConductoMarkdown>\n';
  assert.equal(lastLog(run, '/callable'), expected, lastLog(run, '/callable'));
  assert.equal(lastLog(run, '/script'), expected, lastLog(run, '/script'));
  await run.close();
});

test('nodes read the CONDUCTO_* variables Conducto sets', async () => {
  const file = h.write(
    'env.py',
    `import conducto as co
root = co.Serial()
root["env"] = co.Exec('echo "$CONDUCTO_PIPELINE_ID $CONDUCTO_EXECUTION_ENV $CONDUCTO_NETWORK"')
`,
  );
  const { run } = await h.run(file);
  assert.equal(lastLog(run, '/env'), `${run.id} worker_local ${conductoNetworkName(run.id)}\n`);
  await run.close();
});

test('commands run under bash when the image has it (pipefail, [[ ]]) and under sh on busybox', async () => {
  const file = h.write(
    'shell.py',
    `import conducto as co
root = co.Parallel()
root["bash"] = co.Exec("""set -o pipefail
false | true; echo "status=$?"
[[ "abc" == a* ]] && echo glob-match
arr=(x y z); echo "\${arr[2]}" """)
root["busybox"] = co.Exec('echo "on sh: bash=\${BASH_VERSION:-none}"; false | true; echo "status=$?"; conducto-data-pipeline list 2>&1; echo "tool=$?"', image="${BUSYBOX_IMAGE}")
`,
  );
  const { run } = await h.run(file);
  assert.equal(lastLog(run, '/bash'), 'status=1\nglob-match\nz\n');
  assert.equal(lastLog(run, '/busybox'), 'on sh: bash=none\nstatus=0\nconducto-data-pipeline: this image has no python3 (the tool needs Python 3.8 or later)\ntool=127\n', 'the data tools say why they cannot run without Python');
  await run.close();
});

test("a pipeline's nodes reach each other's servers by name on its network; another pipeline's nodes cannot reach them", async () => {
  const file = h.write(
    'net.py',
    `import conducto as co
root = co.Parallel(image="${BUSYBOX_IMAGE}")
root["server"] = co.Exec("mkdir -p /tmp/www && echo hello-from-server > /tmp/www/index.html && httpd -p 8080 -h /tmp/www && hostname > /conducto/data/pipeline/host && hostname -i > /conducto/data/pipeline/ip && while [ ! -e /conducto/data/pipeline/done ]; do sleep 0.2; done; echo served")
root["client"] = co.Exec("while [ ! -e /conducto/data/pipeline/host ]; do sleep 0.2; done; wget -q -O- http://$(cat /conducto/data/pipeline/host):8080/")
`,
  );
  const { run } = await h.create(file);
  run.setAutorun(true);
  await until("the client's answer", () => run.tree.get('/client').state === 'done' || run.tree.get('/client').state === 'error', 120_000);
  assert.equal(lastLog(run, '/client'), 'hello-from-server\n');
  const ip = readFileSync(path.join(run.space.dataDir, 'ip'), 'utf8').trim();
  assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/);

  // Meanwhile, a node of another pipeline tries the server by address and by name.
  const other = h.write(
    'net-other.py',
    `import conducto as co
root = co.Serial(image="${BUSYBOX_IMAGE}")
root["probe"] = co.Exec("wget -q -T 3 -O- http://${ip}:8080/ 2>&1 || echo unreachable; wget -q -T 3 -O- http://$(cat /conducto/data/pipeline/host 2>/dev/null || echo nohost):8080/ 2>&1 || echo unreachable")
`,
  );
  const probe = await h.run(other);
  const said = lastLog(probe.run, '/probe');
  assert.ok(!said.includes('hello-from-server'), said);
  assert.match(said, /unreachable\n[\s\S]*unreachable\n$/);
  await probe.run.close();

  writeFileSync(path.join(run.space.dataDir, 'done'), '');
  await run.settled();
  assert.equal(lastLog(run, '/server'), 'served\n');
  await run.close();
  const ctx = await h.context();
  assert.equal(await ctx.docker.getNetwork(conductoNetworkName(run.id)).inspect().then(() => 'left', () => 'removed'), 'removed', 'the network goes with the run');
});

test('a container a requires_docker node starts on conducto_network_$CONDUCTO_PIPELINE_ID is reached by name from later nodes', async () => {
  const service = `pw-svc-${randomBytes(4).toString('hex')}`;
  // The Docker API over the socket with the standard library (this image has no docker CLI).
  h.write(
    'svc/start_service.py',
    `import http.client, json, os, socket, sys

class Unix(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect("/var/run/docker.sock")

def call(method, url, body=None):
    c = Unix("docker")
    c.request(method, url, body=json.dumps(body) if body is not None else None, headers={"Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    if r.status >= 300:
        sys.exit("%s %s: %s %s" % (method, url, r.status, data))
    return json.loads(data or "null")

name, network = sys.argv[1], "conducto_network_" + os.environ["CONDUCTO_PIPELINE_ID"]
created = call("POST", "/containers/create?name=" + name, {
    "Image": "${BUSYBOX_IMAGE}",
    "Cmd": ["sh", "-c", "mkdir -p /w && echo hello-from-service > /w/index.html && exec httpd -f -p 80 -h /w"],
    "HostConfig": {"NetworkMode": network},
})
call("POST", "/containers/%s/start" % created["Id"])
print("started on", network)
`,
  );
  const file = h.write(
    'svc/pipeline.py',
    `import conducto as co
root = co.Serial()
root["start"] = co.Exec("python3 /pipewright/src/start_service.py ${service}", requires_docker=True)
root["use"] = co.Exec("for i in $(seq 1 50); do wget -q -O- http://${service}/ 2>/dev/null && break; sleep 0.2; done", image="${BUSYBOX_IMAGE}")
`,
  );
  const ctx = await h.context();
  try {
    const { run } = await h.run(file);
    assert.equal(lastLog(run, '/start'), `started on ${conductoNetworkName(run.id)}\n`);
    assert.equal(lastLog(run, '/use'), 'hello-from-service\n');
    await run.close();
  } finally {
    await ctx.docker.getContainer(service).remove({ force: true }).catch(() => undefined);
    for (const id of h.pipelineIds) await ctx.docker.getNetwork(conductoNetworkName(id)).remove().catch(() => undefined);
  }
});

test("a namesake pipeline of another store on the same engine gets a network of its own, and each removes only its own", async () => {
  const { docker } = await h.context();
  const id = `pw-test-${randomBytes(4).toString('hex')}`;
  const mine = new PipelineNetwork(docker, id, '/store-a/pipelines/x');
  const theirs = new PipelineNetwork(docker, id, '/store-b/pipelines/x');
  try {
    assert.equal(await mine.ensure(), conductoNetworkName(id));
    const other = await theirs.ensure();
    assert.notEqual(other, conductoNetworkName(id));
    assert.ok(other.startsWith(`${conductoNetworkName(id)}_`));
    await theirs.remove();
    assert.equal(await docker.getNetwork(conductoNetworkName(id)).inspect().then(() => 'kept', () => 'gone'), 'kept');
    // A later runner of the same pipeline (it only re-attached) removes what the first one made.
    await new PipelineNetwork(docker, id, '/store-a/pipelines/x').remove();
    assert.equal(await docker.getNetwork(conductoNetworkName(id)).inspect().then(() => 'kept', () => 'gone'), 'gone');
  } finally {
    await mine.remove();
    await theirs.remove();
  }
});

test("clearing a pipeline's leftover workers removes only its own store's, not a namesake's of another store", async () => {
  const ctx = await h.context();
  const file = h.write('namesake_workers.py', `import conducto as co\nroot = co.Serial()\nroot["a"] = co.Exec("true")\n`);
  const { run: made } = await h.create(file);
  await made.close();
  const backend = ctx.backend.open(made.id, ctx.store.space(made.id)) as LocalDockerPipeline;
  const leftover = (owner: string) => ctx.docker.createContainer({ Image: BUSYBOX_IMAGE, Cmd: ['true'], Labels: { [LABELS.pipeline]: made.id, [LABELS.owner]: owner } });
  const own = await leftover(backend.network.owner);
  const namesake = await leftover('another-store-00');
  try {
    await backend.removeLeft(new Set());
    const exists = (c: { inspect(): Promise<unknown> }) => c.inspect().then(() => true, () => false);
    assert.equal(await exists(own), false, "this store's leftover worker is removed");
    assert.equal(await exists(namesake), true, "the namesake's worker (another store, same id) is left alone");
  } finally {
    await namesake.remove({ force: true }).catch(() => undefined);
    await own.remove({ force: true }).catch(() => undefined);
    await backend.shutdown();
  }
});
