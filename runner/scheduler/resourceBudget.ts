import * as os from 'node:os';

export interface Budget {
  cpu: number;
  /** GB, like the `mem` param. */
  mem: number;
}

export function machineBudget(): Budget {
  return { cpu: os.cpus().length, mem: Math.floor((os.totalmem() / 2 ** 30) * 10) / 10 };
}

/**
 * Cores and memory handed out to running nodes. A node asking for more than the whole budget runs
 * alone (the executor clamps its cpu limit) rather than never.
 */
export class ResourceBudget {
  private cpuUsed = 0;
  private memUsed = 0;
  private holders = 0;

  constructor(public total: Budget) {}

  /** What the engine offers, once known (a backend profile's engine, connected on first use). */
  resize(total: Budget): void {
    this.total = total;
  }

  fits(cpu: number, mem: number): boolean {
    const oversize = cpu > this.total.cpu || mem > this.total.mem;
    if (oversize) return this.holders === 0;
    return this.cpuUsed + cpu <= this.total.cpu + 1e-9 && this.memUsed + mem <= this.total.mem + 1e-9;
  }

  take(cpu: number, mem: number): void {
    this.cpuUsed += cpu;
    this.memUsed += mem;
    this.holders++;
  }

  give(cpu: number, mem: number): void {
    this.cpuUsed = Math.max(0, this.cpuUsed - cpu);
    this.memUsed = Math.max(0, this.memUsed - mem);
    this.holders = Math.max(0, this.holders - 1);
  }

  get inUse(): Budget & { nodes: number } {
    return { cpu: this.cpuUsed, mem: this.memUsed, nodes: this.holders };
  }
}
