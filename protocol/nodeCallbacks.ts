// The schema of a node's `callbacks` in the pipeline JSON (protocol/pipeline.ts NodeCallback).
import * as v from 'valibot';
import { CALLBACK_EVENTS, type NodeCallback } from './pipeline';
import { AnyObjectSchema, closedObject } from './validation';

export const NodeCallbackSchema = closedObject({
  event: v.picklist(CALLBACK_EVENTS),
  name: v.pipe(v.string(), v.minLength(1)),
  args: AnyObjectSchema,
});

export const NodeCallbacksSchema = v.array(NodeCallbackSchema);

/** The callbacks, or what is wrong with them (`[0].event: Invalid type...`). */
export function checkNodeCallbacks(value: unknown): { ok: true; value: NodeCallback[] } | { ok: false; error: string } {
  const result = v.safeParse(NodeCallbacksSchema, value);
  if (result.success) return { ok: true, value: result.output as NodeCallback[] };
  const issue = result.issues[0];
  const where = v.getDotPath(issue);
  return { ok: false, error: where ? `${where}: ${issue.message}` : issue.message };
}
