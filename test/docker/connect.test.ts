// Connecting to Docker: endpoint resolution (pure), and availability checks against the real
// engine and against sockets that are missing, refuse, or never answer.
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  CancelledError,
  createDockerClient,
  DockerUnavailableError,
  ensureDockerAvailable,
  explainDockerError,
  resolveDockerEndpoint,
  TimeoutError,
  withTimeout,
} from '../../runner/docker/connect';
import { createRunContext } from '../../runner/runContext';

const temp = mkdtempSync(join(tmpdir(), 'pw-connect-'));
after(() => rmSync(temp, { recursive: true, force: true }));

/** Runs `fn` with process.env changed, restoring it even when `fn` throws. */
async function withEnv<T>(changes: Record<string, string | undefined>, fn: () => Promise<T> | T): Promise<T> {
  const saved = Object.fromEntries(Object.keys(changes).map((k) => [k, process.env[k]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(changes);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

/** A docker config dir with one context named `name` pointing at `host`. */
function configWithContext(name: string, host: string, current: boolean): string {
  const dir = mkdtempSync(join(temp, 'config-'));
  const meta = join(dir, 'contexts', 'meta', createHash('sha256').update(name).digest('hex'));
  mkdirSync(meta, { recursive: true });
  writeFileSync(join(meta, 'meta.json'), JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } }));
  if (current) writeFileSync(join(dir, 'config.json'), JSON.stringify({ currentContext: name }));
  return dir;
}

describe('resolveDockerEndpoint (no engine)', () => {
  const home = mkdtempSync(join(temp, 'home-'));

  test('an explicit host wins over DOCKER_HOST', () => {
    const e = resolveDockerEndpoint({ host: 'unix:///tmp/a.sock', env: { DOCKER_HOST: 'tcp://10.0.0.1:2375' }, homeDir: home });
    assert.equal(e.endpoint, 'unix:///tmp/a.sock');
    assert.equal(e.source, 'option');
    assert.equal(e.options.socketPath, '/tmp/a.sock');
    // Every connection field is set, so docker-modem's own DOCKER_HOST parsing cannot leak in.
    assert.ok('host' in e.options && e.options.host === undefined);
  });

  test('DOCKER_HOST: unix, tcp, tls, npipe, ssh', () => {
    const r = (host: string, env: NodeJS.ProcessEnv = {}) => resolveDockerEndpoint({ env: { DOCKER_HOST: host, ...env }, homeDir: home });
    assert.equal(r('unix:///run/user/1000/docker.sock').options.socketPath, '/run/user/1000/docker.sock');
    const tcp = r('tcp://10.0.0.1:2375');
    assert.deepEqual([tcp.endpoint, tcp.options.host, tcp.options.port, tcp.options.protocol], ['tcp://10.0.0.1:2375', '10.0.0.1', '2375', 'http']);
    assert.equal(r('tcp://10.0.0.1:2376').options.protocol, 'https');
    assert.equal(r('tcp://10.0.0.1', { DOCKER_TLS_VERIFY: '1' }).options.port, '2376');
    assert.equal(r('npipe:////./pipe/docker_engine').options.socketPath, '//./pipe/docker_engine');
    const ssh = r('ssh://me@box:2222');
    // HTTP through the user's ssh running `docker system dial-stdio` there (sshConnection.ts).
    assert.deepEqual([ssh.options.protocol, ssh.options.host, ssh.options.port, ssh.endpoint], ['http', 'box', '2222', 'ssh://me@box:2222']);
    assert.ok((ssh.options as { agent?: unknown }).agent, 'an agent whose connections are ssh processes');
    assert.equal(ssh.source, 'DOCKER_HOST');
  });

  test('a malformed DOCKER_HOST is a config error naming the variable', () => {
    assert.throws(
      () => resolveDockerEndpoint({ env: { DOCKER_HOST: 'ftp://x' }, homeDir: home }),
      (e: unknown) => e instanceof DockerUnavailableError && e.reason === 'config' && /DOCKER_HOST/.test(e.message),
    );
  });

  test('the current context from config.json, then DOCKER_CONTEXT over it', () => {
    const config = configWithContext('remote', 'tcp://192.0.2.7:2375', true);
    const e = resolveDockerEndpoint({ env: { DOCKER_CONFIG: config }, homeDir: home });
    assert.equal(e.endpoint, 'tcp://192.0.2.7:2375');
    assert.equal(e.source, 'context "remote"');

    const other = configWithContext('other', 'unix:///tmp/other.sock', false);
    const viaEnv = resolveDockerEndpoint({ env: { DOCKER_CONFIG: other, DOCKER_CONTEXT: 'other' }, homeDir: home });
    assert.equal(viaEnv.options.socketPath, '/tmp/other.sock');
    // DOCKER_HOST beats the context.
    assert.equal(resolveDockerEndpoint({ env: { DOCKER_CONFIG: config, DOCKER_HOST: 'unix:///tmp/x.sock' }, homeDir: home }).endpoint, 'unix:///tmp/x.sock');
  });

  test('an unknown context is reported, not silently replaced by the default', () => {
    assert.throws(
      () => resolveDockerEndpoint({ env: { DOCKER_CONFIG: join(temp, 'empty'), DOCKER_CONTEXT: 'gone' }, homeDir: home }),
      (e: unknown) => e instanceof DockerUnavailableError && e.reason === 'config' && /context "gone".*DOCKER_CONTEXT/.test(e.message),
    );
  });

  test('default: /var/run/docker.sock (the "default" context too)', () => {
    assert.equal(resolveDockerEndpoint({ env: {}, homeDir: home, platform: 'linux' }).endpoint, 'unix:///var/run/docker.sock');
    assert.equal(resolveDockerEndpoint({ env: { DOCKER_CONTEXT: 'default' }, homeDir: home, platform: 'linux' }).endpoint, 'unix:///var/run/docker.sock');
  });
});

describe('explainDockerError (no engine)', () => {
  test('permission denied says how to get access', () => {
    const e = explainDockerError(Object.assign(new Error('connect EACCES /var/run/docker.sock'), { code: 'EACCES' }), 'unix:///var/run/docker.sock');
    assert.equal(e.reason, 'permission');
    assert.match(e.message, /Permission denied on unix:\/\/\/var\/run\/docker\.sock.*docker group/);
  });

  test('a timeout says the daemon did not answer', () => {
    const e = explainDockerError(new TimeoutError('ping', 1500), 'tcp://h:2375');
    assert.equal(e.reason, 'timeout');
    assert.match(e.message, /did not answer within 1\.5 s/);
  });
});

describe('withTimeout (no engine)', () => {
  test('passes the value through, and clears its timer', async () => {
    assert.equal(await withTimeout(Promise.resolve(7), 50, 'x'), 7);
  });

  test('times out, and aborts the work it was given as a function', async () => {
    let aborted = false;
    const work = (signal: AbortSignal) =>
      new Promise<never>(() => {
        signal.addEventListener('abort', () => (aborted = true));
      });
    await assert.rejects(withTimeout(work, 30, 'slow thing'), (e: unknown) => e instanceof TimeoutError && e.message === 'slow thing timed out after 30 ms');
    assert.ok(aborted);
  });

  test('a caller abort rejects with CancelledError at once', async () => {
    const controller = new AbortController();
    const pending = withTimeout(new Promise(() => {}), 10_000, 'wait', controller.signal);
    controller.abort();
    await assert.rejects(pending, CancelledError);
  });
});

describe('against sockets with no engine behind them', () => {
  test('DOCKER_HOST=unix:///nonexistent.sock: DockerUnavailableError, fast, saying what to do', async () => {
    await withEnv({ DOCKER_HOST: 'unix:///nonexistent.sock', DOCKER_CONTEXT: undefined }, async () => {
      const docker = createDockerClient();
      const started = Date.now();
      await assert.rejects(ensureDockerAvailable(docker, { timeoutMs: 5000 }), (e: unknown) => {
        assert.ok(e instanceof DockerUnavailableError, String(e));
        assert.equal(e.reason, 'not-running');
        assert.equal(e.endpoint, 'unix:///nonexistent.sock');
        assert.match(e.message, /^Docker is not running at unix:\/\/\/nonexistent\.sock \(no such socket\)\./);
        assert.match(e.message, /systemctl start docker/);
        assert.match(e.message, /change DOCKER_HOST/);
        // A user has no Pipewright repo to run scripts from.
        assert.doesNotMatch(e.message, /scripts\//);
        return true;
      });
      assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
    });
  });

  test('the pipewright.dockerHost setting at a dead socket: the message names the setting, not DOCKER_HOST', async () => {
    await withEnv({ DOCKER_HOST: undefined, DOCKER_CONTEXT: undefined }, async () => {
      // As the editor makes its run context (extension/settings.ts runContextOptions).
      const context = createRunContext({ dockerHost: 'unix:///nonexistent-setting.sock', dockerHostFrom: 'the pipewright.dockerHost setting', storeRoot: join(temp, 'store') });
      await assert.rejects(context, (e: unknown) => {
        assert.ok(e instanceof DockerUnavailableError, String(e));
        assert.match(e.message, /^Docker is not running at unix:\/\/\/nonexistent-setting\.sock \(no such socket\)\./);
        assert.match(e.message, /change the pipewright\.dockerHost setting/);
        assert.doesNotMatch(e.message, /DOCKER_HOST|scripts\//);
        return true;
      });
    });
  });

  test('connection refused (tcp port with no listener)', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const docker = createDockerClient({ host: `tcp://127.0.0.1:${port}` });
    await assert.rejects(ensureDockerAvailable(docker, { timeoutMs: 5000 }), (e: unknown) => {
      assert.ok(e instanceof DockerUnavailableError);
      assert.equal(e.reason, 'not-running');
      assert.match(e.message, new RegExp(`not running at tcp://127\\.0\\.0\\.1:${port} \\(connection refused\\)`));
      return true;
    });
  });

  describe('a socket that accepts but never answers', () => {
    const socketPath = join(temp, 'hung.sock');
    const sockets = new Set<Socket>();
    let server: Server;
    before(async () => {
      server = createServer((s) => {
        sockets.add(s);
        s.resume(); // read the request, so the client's close is seen
        s.on('close', () => sockets.delete(s));
      });
      await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    });
    after(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server?.close(resolve));
    });

    test('times out with reason "timeout", and closes its connection', async () => {
      const docker = createDockerClient({ host: `unix://${socketPath}` });
      const started = Date.now();
      await assert.rejects(ensureDockerAvailable(docker, { timeoutMs: 300 }), (e: unknown) => {
        assert.ok(e instanceof DockerUnavailableError);
        assert.equal(e.reason, 'timeout');
        assert.match(e.message, /did not answer within 300 ms/);
        return true;
      });
      const took = Date.now() - started;
      assert.ok(took >= 290 && took < 2000, `took ${took} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(sockets.size, 0, 'the aborted request left its connection open');
    });

    test('a cancelled check is a cancellation, not "Docker unavailable"', async () => {
      const docker = createDockerClient({ host: `unix://${socketPath}` });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      await assert.rejects(ensureDockerAvailable(docker, { timeoutMs: 5000, signal: controller.signal }), CancelledError);
    });
  });
});

describe('against the real engine', () => {
  test('ensureDockerAvailable reports versions and resources', async () => {
    const info = await ensureDockerAvailable(createDockerClient(), { timeoutMs: 10_000 });
    assert.match(info.apiVersion, /^1\.\d+$/);
    assert.ok(info.serverVersion.length > 0);
    assert.ok(info.cgroupVersion === '1' || info.cgroupVersion === '2' || info.cgroupVersion === null);
    assert.ok(info.ncpu >= 1);
    assert.ok(info.memTotal > 64 * 1024 * 1024);
    assert.match(info.endpoint, /^(unix|tcp|https|ssh|npipe):\/\//);
  });

  test('the engine is found through the current docker context', async (t) => {
    // Point a context at whatever endpoint the default resolution finds, then resolve by context only.
    const direct = resolveDockerEndpoint();
    if (!direct.endpoint.startsWith('unix://')) return t.skip(`engine is at ${direct.endpoint}`);
    const config = configWithContext('pw-test', direct.endpoint, true);
    await withEnv({ DOCKER_HOST: undefined, DOCKER_CONTEXT: undefined, DOCKER_CONFIG: config }, async () => {
      const docker = createDockerClient();
      const info = await ensureDockerAvailable(docker);
      assert.equal(info.endpoint, direct.endpoint);
      assert.equal(resolveDockerEndpoint().source, 'context "pw-test"');
    });
  });
});
