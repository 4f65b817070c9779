// One pipeline's jobs over several backends: those of a node whose step names a backend profile
// go to that profile's engine, the rest to the run's own.
import type { JobHooks, JobOutcome, JobSpec, LeftJob, PipelineBackend } from './backend';
import type { ProfileBackends } from './profileBackends';
import type { PipelineSpace } from './store/pipelineSpace';

export class RoutedPipeline implements PipelineBackend {
  private readonly sessions = new Map<string, Promise<PipelineBackend>>();

  constructor(
    private readonly main: PipelineBackend,
    private readonly profiles: ProfileBackends,
    private readonly pipelineId: string,
    private readonly space: PipelineSpace,
  ) {}

  async run(job: JobSpec, hooks: JobHooks, signal: AbortSignal): Promise<JobOutcome> {
    if (!job.profile) return this.main.run(job, hooks, signal);
    const session = await this.session(job.profile).catch((err: Error) => err);
    if (session instanceof Error) return { exitCode: null, reason: 'error', message: session.message, peakMemoryBytes: null, containerId: '' };
    return session.run(job, hooks, signal);
  }

  async reattach(left: LeftJob, hooks: JobHooks, signal: AbortSignal): Promise<JobOutcome> {
    if (!left.profile) return this.main.reattach(left, hooks, signal);
    const session = await this.session(left.profile).catch((err: Error) => err);
    if (session instanceof Error) return { exitCode: null, reason: 'runner stopped', message: `re-attaching failed: ${session.message}`, peakMemoryBytes: null, containerId: left.containerId };
    return session.reattach(left, hooks, signal);
  }

  async removeLeft(keep: ReadonlySet<string>): Promise<void> {
    await Promise.all([this.main, ...(await this.openSessions())].map((s) => s.removeLeft(keep)));
  }

  async shutdown(): Promise<void> {
    await Promise.all([this.main, ...(await this.openSessions())].map((s) => s.shutdown()));
  }

  async endContext(context: string): Promise<void> {
    await Promise.all([this.main, ...(await this.openSessions())].map((s) => s.endContext?.(context)));
  }

  /** The profile's session for this pipeline, opened on first use. */
  session(profile: string): Promise<PipelineBackend> {
    let session = this.sessions.get(profile);
    if (!session) {
      session = this.profiles.open(profile).then(({ backend }) => backend.open(this.pipelineId, this.space));
      this.sessions.set(profile, session);
      session.catch(() => this.sessions.delete(profile));
    }
    return session;
  }

  private async openSessions(): Promise<PipelineBackend[]> {
    const settled = await Promise.allSettled(this.sessions.values());
    return settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  }
}
