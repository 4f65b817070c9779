import type { ControlRequest } from '../protocol/control';
import { ControlInbox } from '../runner/store/controlInbox';
import { PipelineStore } from '../runner/store/pipelineStore';
import type { ArgSpec, ParsedArgs } from './args';

/** `--store DIR`: where the pipelines are (default $PIPEWRIGHT_HOME or ~/.pipewright). */
export const STORE_FLAG: ArgSpec['flags'] = { store: 'string' };

/** The store `--store` names. Reading it deletes nothing: retention is applied where a runner opens it. */
export function storeFrom(args: ParsedArgs): PipelineStore {
  return new PipelineStore(args.value('store'));
}

/** Hands requests, in order, to the process that is running the pipeline; a refusal throws its reason. */
export async function askOwner(store: PipelineStore, id: string, requests: readonly ControlRequest[], timeoutMs?: number): Promise<void> {
  const inbox = new ControlInbox(store.dir(id));
  for (const request of requests) {
    const reply = await inbox.send(request, timeoutMs);
    if (!reply.ok) throw new Error(reply.error ?? 'refused');
  }
}
