import type { ControlRequest } from '../runner/store/controlInbox';
import { ControlInbox } from '../runner/store/controlInbox';
import { PipelineStore } from '../runner/store/pipelineStore';
import type { ArgSpec, ParsedArgs } from './args';

const RETENTION_DAYS = Number(process.env.PIPEWRIGHT_RETENTION_DAYS ?? 7);

/** `--store DIR`: where the pipelines are (default $PIPEWRIGHT_HOME or ~/.pipewright). */
export const STORE_FLAG: ArgSpec['flags'] = { store: 'string' };

/** The store `--store` names, with expired pipelines pruned. */
export function storeFrom(args: ParsedArgs): PipelineStore {
  const store = new PipelineStore(args.value('store'));
  store.pruneExpired(RETENTION_DAYS);
  return store;
}

/** Hands requests, in order, to the process that is running the pipeline; a refusal throws its reason. */
export async function askOwner(store: PipelineStore, id: string, requests: readonly ControlRequest[], timeoutMs?: number): Promise<void> {
  const inbox = new ControlInbox(store.dir(id));
  for (const request of requests) {
    const reply = await inbox.send(request, timeoutMs);
    if (!reply.ok) throw new Error(reply.error ?? 'refused');
  }
}
