import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';

/**
 * A container's memory cgroup read from the host: peak usage per execution and OOM kills. Works
 * where the runner shares the engine's host (the product's case); elsewhere every read gives null.
 */
export class CgroupMemory {
  /** The peak file held open for its reset before every job (an open per job cost a path walk). */
  private resetFd: number | null = null;
  private closed = false;

  private constructor(
    private readonly peakFile: string | null,
    private readonly oomFile: string | null,
    private readonly resettable: boolean,
  ) {}

  static forContainer(containerId: string): CgroupMemory {
    const v1 = [`/sys/fs/cgroup/memory/docker/${containerId}`, `/sys/fs/cgroup/memory/system.slice/docker-${containerId}.scope`];
    for (const dir of v1) {
      if (existsSync(`${dir}/memory.max_usage_in_bytes`)) return new CgroupMemory(`${dir}/memory.max_usage_in_bytes`, `${dir}/memory.oom_control`, true);
    }
    const v2 = [`/sys/fs/cgroup/system.slice/docker-${containerId}.scope`, `/sys/fs/cgroup/docker/${containerId}`];
    for (const dir of v2) {
      if (existsSync(`${dir}/memory.events`)) return new CgroupMemory(existsSync(`${dir}/memory.peak`) ? `${dir}/memory.peak` : null, `${dir}/memory.events`, false);
    }
    return new CgroupMemory(null, null, false);
  }

  /** Starts a new peak measurement (cgroup v1); on v2 the peak spans the worker's life. */
  resetPeak(): void {
    if (!this.peakFile || !this.resettable || this.closed) return;
    try {
      writeSync((this.resetFd ??= openSync(this.peakFile, 'w')), '0');
    } catch {
      // read-only cgroupfs: the peak then spans the worker's life
    }
  }

  /** The container is gone: its cgroup with it. */
  close(): void {
    this.closed = true;
    if (this.resetFd !== null) closeSync(this.resetFd);
    this.resetFd = null;
  }

  peakBytes(): number | null {
    if (!this.peakFile) return null;
    try {
      const value = Number(readFileSync(this.peakFile, 'utf8').trim());
      return Number.isFinite(value) ? value : null;
    } catch {
      return null;
    }
  }

  oomKills(): number | null {
    if (!this.oomFile) return null;
    try {
      const match = /^oom_kill (\d+)$/m.exec(readFileSync(this.oomFile, 'utf8'));
      return match ? Number(match[1]) : 0;
    } catch {
      return null;
    }
  }
}
