// Building blocks of the schemas (valibot) of what crosses a process boundary, and the one way a
// refusal says what was wrong.
import * as v from 'valibot';

/** A node's path: absolute, shorter than 4096 characters. */
export const NodePathSchema = v.pipe(
  v.string(),
  v.startsWith('/', (issue) => `must start with "/", got ${JSON.stringify(issue.input.slice(0, 80))}`),
  v.maxLength(4095, 'must be shorter than 4096 characters'),
);

/** A number that is not NaN or ±Infinity. */
export const FiniteSchema = v.pipe(v.number(), v.finite());

// valibot's object and record schemas take arrays (typeof [] is 'object'); none of ours is one.
const notArray = v.custom<unknown>((x) => !Array.isArray(x), (issue) => `Invalid type: Expected Object but received ${issue.received}`);

/** `schema` (an object or record schema), refusing arrays. */
export const plain = <S extends v.GenericSchema>(schema: S) => v.pipe(notArray, schema);

/** An object with these keys and no others; an unknown key is refused with the ones it takes. */
export const closedObject = <E extends v.ObjectEntries>(entries: E) =>
  v.strictObject(entries, (issue) => (issue.expected === 'never' ? `not one of ${Object.keys(entries).join(', ')}` : issue.message));

/** An object whose keys are not checked. */
export const AnyObjectSchema = plain(v.object({}));

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

/** The first issue, where it is: `changes.cpu: Invalid type: Expected number but received "2"`. */
function describeIssue(issues: readonly [v.BaseIssue<unknown>, ...v.BaseIssue<unknown>[]]): string {
  const issue = issues[0];
  const where = v.getDotPath(issue);
  // valibot words a missing key "Invalid key: Expected "path" but received undefined".
  const missing = issue.input === undefined && issue.path?.at(-1)?.origin === 'key';
  if (missing && where) return `${where} is missing`;
  return where ? `${where}: ${issue.message}` : issue.message;
}

/** `x` as the schema's output (unknown keys of plain objects dropped), or what is wrong with it. */
export function check<S extends v.GenericSchema>(schema: S, x: unknown): Checked<v.InferOutput<S>> {
  const result = v.safeParse(schema, x, { abortEarly: true });
  return result.success ? { ok: true, value: result.output } : { ok: false, error: describeIssue(result.issues) };
}

// Compile-time agreement between a hand-written type and its schema: `type _X = Assert<Same<A, B>>`
// fails to compile when they differ.
export type Assert<T extends true> = T;
/**
 * A and B accept the same values: each assignable to the other, with the same keys (assignability
 * alone lets either side carry an extra optional key). Nested object types are compared by
 * assignability only: assert them separately.
 */
export type Same<A, B> = [A, keyof A] extends [B, keyof B] ? ([B, keyof B] extends [A, keyof A] ? true : false) : false;
/** Every A is a B: a hand-written type whose schema checks only part of it. */
export type Within<A, B> = [A] extends [B] ? true : false;

/** `text` parsed as JSON, then checked by `then`; not JSON is said as such. */
export function parseJson<T>(text: string, then: (x: unknown) => Checked<T>): Checked<T> {
  let x: unknown;
  try {
    x = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `not JSON (${(err as Error).message})` };
  }
  return then(x);
}
