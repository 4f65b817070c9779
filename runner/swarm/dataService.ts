// The pipeline's shared data (co.data.pipeline, ClearML artifacts) for nodes on other machines: the
// runner serves each pipeline's data folder over HTTP, as Conducto moved co.data to a store. A task
// fetches the folder as a tar before its command and sends back, after it, the files it made or
// changed (dataSync.ts); nodes of one pipeline thereby see each other's files as on one machine, in
// the order the pipeline runs them. The user's folder (co.data.user) goes the same way. Each pipeline has its own token (a random 256-bit secret in its
// tasks' env): a task reaches its own pipeline's folder only. Only folders and regular files cross,
// never outside the folder.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createWriteStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { extract } from 'tar-stream';
import { tarStream, type TarEntry } from '../docker/tar';

/**
 * The address of this machine on the way to `host:port` (the swarm manager): where the swarm's
 * nodes can most likely reach the data service when no address is configured.
 */
export function localAddressToward(host: string, port: number, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      const address = socket.localAddress;
      socket.destroy();
      if (address) resolve(address.replace(/^::ffff:/, ''));
      else reject(new Error(`no local address toward ${host}:${port}`));
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error(`${host}:${port} did not answer in ${timeoutMs} ms`));
    });
    socket.once('error', reject);
  });
}

/** What a pipeline's tasks are given to reach its data (and the user's). */
export interface DataAccess {
  url: string;
  userUrl?: string;
  token: string;
}

export class DataService {
  private readonly pipelines = new Map<string, { token: Buffer; dir: string; userDir: string | null }>();
  private server: Server | undefined;
  private base = '';

  /** `host`: an address of this machine the swarm's nodes reach; port 0: any free one. */
  constructor(
    private readonly host: string,
    private readonly port = 0,
  ) {}

  /**
   * Listens (on its port when free, else on any: a runner restarted on the same port is found again
   * by the tasks it left); the process does not stay up for it alone. Resolves with the tasks' base URL.
   */
  async start(): Promise<string> {
    if (this.server) return this.base;
    const server = createServer((req, res) => void this.handle(req, res));
    const listen = (port: number) =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, this.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    await listen(this.port).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EADDRINUSE' || this.port === 0) throw err;
      return listen(0);
    });
    server.unref();
    this.server = server;
    const { port } = server.address() as AddressInfo;
    this.base = `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${port}`;
    return this.base;
  }

  /**
   * A pipeline's data folder served under its id, and the user's folder (co.data.user) to its
   * tasks too; the URLs and the token its tasks use.
   */
  register(pipelineId: string, dir: string, userDir: string | null = null, token?: Buffer): DataAccess {
    let entry = this.pipelines.get(pipelineId);
    if (!entry || entry.dir !== dir || entry.userDir !== userDir || (token && !entry.token.equals(token))) {
      entry = { token: token ?? randomBytes(32), dir, userDir };
      this.pipelines.set(pipelineId, entry);
    }
    const id = encodeURIComponent(pipelineId);
    return { url: `${this.base}/data/${id}`, ...(userDir ? { userUrl: `${this.base}/user/${id}` } : {}), token: entry.token.toString('hex') };
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = /^\/(data|user)\/([^/?]+)$/.exec(req.url ?? '');
    const found = match ? this.pipelines.get(decodeURIComponent(match[2]!)) : undefined;
    const dir = match?.[1] === 'user' ? found?.userDir : found?.dir;
    const entry = found && dir ? { token: found.token, dir } : undefined;
    const given = Buffer.from((/^Bearer ([0-9a-f]{64})$/.exec(req.headers.authorization ?? '')?.[1] ?? '').padEnd(64, '0'), 'hex');
    if (!entry || !timingSafeEqual(given, entry.token)) {
      res.writeHead(entry ? 403 : 404).end();
      req.resume();
      return;
    }
    try {
      if (req.method === 'GET') {
        mkdirSync(entry.dir, { recursive: true, mode: 0o700 });
        res.writeHead(200, { 'content-type': 'application/x-tar' });
        await pipeline(tarStream(folderEntries(entry.dir)), res);
      } else if (req.method === 'PUT') {
        await receive(req, entry.dir);
        res.writeHead(204).end();
      } else {
        res.writeHead(405).end();
        req.resume();
      }
    } catch (err) {
      if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' }).end(`${(err as Error).message}\n`);
      else res.destroy();
    }
  }
}

/** Folders and regular files under `dir`, sorted; links and special files stay out. */
function folderEntries(dir: string): TarEntry[] {
  const out: TarEntry[] = [];
  const walk = (abs: string, rel: string) => {
    for (const name of readdirSync(abs).sort()) {
      const file = path.join(abs, name);
      const st = lstatSync(file);
      const at = rel ? `${rel}/${name}` : name;
      const base = { name: at, mode: st.mode & 0o777, mtime: Math.floor(st.mtimeMs / 1000) };
      if (st.isDirectory()) {
        out.push({ ...base, type: 'dir' });
        walk(file, at);
      } else if (st.isFile()) {
        out.push({ ...base, type: 'file', size: st.size, source: file });
      }
    }
  };
  walk(dir, '');
  return out;
}

/** Unpacks a task's changed files into `dir`: each file written aside, then renamed into place. */
async function receive(req: IncomingMessage, dir: string): Promise<void> {
  const unpack = extract();
  const done = new Promise<void>((resolve, reject) => {
    unpack.on('entry', (header, body, next) => {
      const target = inside(dir, header.name);
      if (!target || (header.type !== 'file' && header.type !== 'directory')) {
        body.resume();
        body.on('end', () => next());
        return;
      }
      if (header.type === 'directory') {
        mkdirSync(target, { recursive: true, mode: 0o700 });
        body.resume();
        body.on('end', () => next());
        return;
      }
      mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
      // A folder where the file goes (or the reverse) was replaced by the node: so it is here.
      if (lstatSync(target, { throwIfNoEntry: false })?.isDirectory()) rmSync(target, { recursive: true, force: true });
      const aside = `${target}.pw-${randomBytes(6).toString('hex')}`;
      pipeline(body, createWriteStream(aside, { mode: (header.mode ?? 0o600) & 0o777 })).then(
        () => {
          renameSync(aside, target);
          next();
        },
        (err: Error) => {
          rmSync(aside, { force: true });
          reject(err);
        },
      );
    });
    unpack.on('finish', resolve);
    unpack.on('error', reject);
  });
  req.pipe(unpack);
  await done;
}

/** The path of an archive member inside `dir`, or null when it would leave it. */
function inside(dir: string, name: string): string | null {
  const clean = path.posix.normalize(name.replace(/^\.\/+/, ''));
  if (!clean || clean === '.' || clean.startsWith('..') || path.posix.isAbsolute(clean)) return null;
  const target = path.join(dir, clean.replace(/\/+$/, ''));
  // Every folder on the way is a real folder of ours: a link in the way would lead out.
  let at = dir;
  for (const part of clean.replace(/\/+$/, '').split('/').slice(0, -1)) {
    at = path.join(at, part);
    const st = lstatSync(at, { throwIfNoEntry: false });
    if (st && !st.isDirectory()) return null;
  }
  return target;
}
