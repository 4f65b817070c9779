// Requests another process (the CLI) files in a pipeline's control inbox for the process running
// it, and the replies (runner/store/controlInbox.ts). Both ends check what they read: the files
// are plain JSON anyone can write, and the two processes may be different versions.
import * as v from 'valibot';
import { NodeModificationSchema } from './modification';
import { check, closedObject, NodePathSchema, parseJson, type Checked } from './validation';

// Strict: a field this version does not know is refused, not silently ignored.
export const ControlRequestSchema = v.variant('op', [
  closedObject({ op: v.literal('reset'), path: NodePathSchema }),
  closedObject({ op: v.literal('skip'), path: NodePathSchema, skipped: v.boolean() }),
  closedObject({ op: v.literal('kill'), path: NodePathSchema }),
  closedObject({ op: v.literal('modify'), path: NodePathSchema, changes: NodeModificationSchema }),
  closedObject({ op: v.literal('autorun'), on: v.boolean() }),
  /** Pipeline steps: reset without their cached results. */
  closedObject({ op: v.literal('refresh'), path: NodePathSchema }),
  closedObject({ op: v.literal('sleep') }),
  closedObject({ op: v.literal('wake') }),
]);

/** An operation another process (the CLI) asks the pipeline's owner to carry out. */
export type ControlRequest = v.InferOutput<typeof ControlRequestSchema>;

const ControlReplySchema = v.object({ ok: v.boolean(), error: v.optional(v.string()) });

export type ControlReply = v.InferOutput<typeof ControlReplySchema>;

/** A request file's text as a request, or what is wrong with it. */
export const parseControlRequest = (text: string): Checked<ControlRequest> => parseJson(text, (x) => check(ControlRequestSchema, x));

/** A reply file's text as a reply, or what is wrong with it. */
export const parseControlReply = (text: string): Checked<ControlReply> => parseJson(text, (x) => check(ControlReplySchema, x));
