// A swarm service's log as the manager streams it (follow): the engine's multiplexed frames
// (8-byte header: stream, 0, 0, 0, size) split back into stdout and stderr chunks. Measured here:
// the bytes come back as printed (lines split at 16 KB, no newline added), stdout and stderr
// interleaved as their lines were written.
import type Dockerode from 'dockerode';
import type { StreamName } from '../localDocker/jobOutput';

export interface ServiceLog {
  /** The stream ended (the manager closed it); the job's end may still be unseen. */
  readonly ended: Promise<void>;
  close(): void;
}

export async function followServiceLog(docker: Dockerode, serviceId: string, feed: (stream: StreamName, chunk: Buffer) => void): Promise<ServiceLog> {
  const raw = (await docker.getService(serviceId).logs({ follow: true, stdout: true, stderr: true } as never)) as unknown as NodeJS.ReadableStream & { destroy(): void };
  let pending: Buffer = Buffer.alloc(0);
  raw.on('data', (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 8) {
      const size = pending.readUInt32BE(4);
      if (pending.length < 8 + size) break;
      const kind = pending[0];
      const body = pending.subarray(8, 8 + size);
      pending = pending.subarray(8 + size);
      if (kind === 1 || kind === 2) feed(kind === 1 ? 'stdout' : 'stderr', Buffer.from(body));
    }
  });
  const ended = new Promise<void>((resolve) => {
    raw.once('end', resolve);
    raw.once('close', resolve);
    raw.once('error', () => resolve());
  });
  return { ended, close: () => raw.destroy() };
}
