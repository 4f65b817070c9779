// A client of the runner service (runnerService.ts): connects to the store's service, starting one
// when none answers, and carries requests, replies and the events of watched runs.
import { spawn } from 'node:child_process';
import { closeSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseServiceMessage, type ServiceRequest, type ServiceRunInfo } from '../../protocol/service';
import type { RunnerEvent } from '../../protocol/runner';
import { openPrivateFile } from '../store/privateFiles';
import { serviceAddress, type ServiceAddress } from './serviceAddress';

/** How to start the service: a Node program (the CLI's `service` command) and its arguments. */
export interface ServiceLauncher {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

/** How long a client waits for a service it started to listen. */
const START_TIMEOUT_MS = 20_000;

type Distributive<T> = T extends unknown ? Omit<T, 'id'> : never;
export type ServiceCall = Distributive<ServiceRequest>;

export class ServiceClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  private readonly eventListeners = new Map<string, Set<(events: RunnerEvent[]) => void>>();
  private readonly releasedListeners = new Map<string, Set<() => void>>();
  private readonly runsListeners = new Set<(runs: ServiceRunInfo[]) => void>();
  private readonly closeListeners = new Set<(why: string) => void>();
  private closedWhy: string | undefined;

  private constructor(
    private readonly socket: Socket,
    readonly address: ServiceAddress,
  ) {
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      const lines = (buffered + chunk).split('\n');
      buffered = lines.pop()!;
      for (const line of lines) if (line.trim()) this.receive(line);
    });
    const gone = (why: string) => {
      if (this.closedWhy) return;
      this.closedWhy = why;
      for (const { reject } of this.pending.values()) reject(new Error(why));
      this.pending.clear();
      for (const listener of this.closeListeners) listener(why);
    };
    socket.on('close', () => gone('the runner service closed the connection'));
    socket.on('error', (err) => gone(`the runner service's connection failed: ${err.message}`));
  }

  /**
   * Connects to the service of the store at `storeRoot`; with a `launcher`, starts one when none
   * answers (the lock makes sure only one of several starting at once stays). Null when there is
   * none and no launcher.
   */
  static async connect(storeRoot: string, launcher?: ServiceLauncher): Promise<ServiceClient | null> {
    const address = serviceAddress(storeRoot);
    const socket = await tryConnect(address.socket);
    if (socket) return new ServiceClient(socket, address);
    if (!launcher) return null;
    const logFile = path.join(address.dir, 'service.log');
    const log = openPrivateFile(logFile, 'a');
    const child = spawn(launcher.command, launcher.args, {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...process.env, ...launcher.env },
    });
    closeSync(log);
    let exited: string | undefined;
    child.once('exit', (code, signal) => (exited = signal ? `signal ${signal}` : `status ${code}`));
    child.once('error', (err) => (exited = err.message));
    child.unref();
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const connected = await tryConnect(address.socket);
      if (connected) return new ServiceClient(connected, address);
      // A loser of the race exits at once (status 0) while the winner starts: keep trying then.
      if (exited && exited !== 'status 0') break;
      await sleep(50);
    }
    throw new Error(`the runner service did not start (${exited ? `it ended with ${exited}` : `no answer within ${START_TIMEOUT_MS / 1000}s`}); its log: ${logFile}${tail(logFile)}`);
  }

  get closed(): boolean {
    return this.closedWhy !== undefined;
  }

  request(call: ServiceCall): Promise<unknown> {
    if (this.closedWhy) return Promise.reject(new Error(this.closedWhy));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.write(`${JSON.stringify({ ...call, id })}\n`);
    });
  }

  onEvents(pipeline: string, listener: (events: RunnerEvent[]) => void): () => void {
    return subscribe(this.eventListeners, pipeline, listener);
  }

  onReleased(pipeline: string, listener: () => void): () => void {
    return subscribe(this.releasedListeners, pipeline, listener);
  }

  onRuns(listener: (runs: ServiceRunInfo[]) => void): () => void {
    this.runsListeners.add(listener);
    return () => this.runsListeners.delete(listener);
  }

  onClose(listener: (why: string) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }

  private receive(line: string): void {
    const parsed = parseServiceMessage(line);
    if (!parsed.ok) {
      // A message this client cannot read: the service is another version or broken; say so once.
      this.socket.destroy(new Error(`unreadable message from the runner service (${parsed.error})`));
      return;
    }
    const message = parsed.value;
    if ('re' in message) {
      const waiting = this.pending.get(message.re);
      if (!waiting) return;
      this.pending.delete(message.re);
      if (message.ok) waiting.resolve(message.value);
      else waiting.reject(new Error(message.error));
    } else if ('events' in message) {
      for (const listener of this.eventListeners.get(message.pipeline) ?? []) listener(message.events);
    } else if ('runs' in message) {
      for (const listener of this.runsListeners) listener(message.runs);
    } else {
      for (const listener of this.releasedListeners.get(message.released) ?? []) listener();
    }
  }
}

function subscribe<T>(map: Map<string, Set<T>>, key: string, listener: T): () => void {
  const set = map.get(key) ?? new Set<T>();
  map.set(key, set);
  set.add(listener);
  return () => {
    set.delete(listener);
    if (!set.size) map.delete(key);
  };
}

function tryConnect(socketPath: string): Promise<Socket | null> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', () => resolve(null));
  });
}

function tail(file: string): string {
  try {
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n').slice(-5);
    return lines.length ? `:\n  ${lines.join('\n  ')}` : '';
  } catch {
    return '';
  }
}
