// The engines of the backend profiles (backendProfiles.ts), connected when a node first needs one:
// a pipeline whose steps never name a profile never asks its engine.
import type { Backend } from './backend';
import type { BackendProfile } from './backendProfiles';
import type { ImageResolver } from './runContext';
import type { Budget } from './scheduler/resourceBudget';

export interface OpenedProfile {
  backend: Backend;
  /** Images for its nodes, on its engine (or, for a swarm, on the engine that feeds its registry). */
  resolveImage: ImageResolver;
  /** What its nodes may hold at once: the profile's cpus/memory, else what the engine offers. */
  budget: Budget;
}

export class ProfileBackends {
  private readonly opened = new Map<string, Promise<OpenedProfile>>();

  constructor(
    readonly profiles: ReadonlyMap<string, BackendProfile>,
    private readonly connect: (profile: BackendProfile) => Promise<Omit<OpenedProfile, 'budget'>>,
  ) {}

  has(name: string | null | undefined): name is string {
    return Boolean(name) && this.profiles.has(name!);
  }

  /** The profile's engine and backend; a failure is not remembered (a restarted engine is tried again). */
  open(name: string): Promise<OpenedProfile> {
    let opened = this.opened.get(name);
    if (!opened) {
      const profile = this.profiles.get(name);
      if (!profile) return Promise.reject(new Error(`no backend profile "${name}"`));
      opened = this.connect(profile).then(
        (c) => {
          const capacity = c.backend.capacity();
          return { ...c, budget: { cpu: profile.budget.cpu ?? capacity.cpu, mem: profile.budget.mem ?? capacity.mem } };
        },
        (err: Error) => {
          throw new Error(`backend profile "${name}" (${profile.from}): ${err.message}`, { cause: err });
        },
      );
      this.opened.set(name, opened);
      opened.catch(() => this.opened.delete(name));
    }
    return opened;
  }
}
