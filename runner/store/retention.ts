// One retention policy for the store, applied in one place (createRunContext), never while listing.
export const DEFAULT_RETENTION_DAYS = 7;

/**
 * Days a pipeline may stay unused before it is deleted: the value given (the editor's
 * `pipewright.retentionDays`), else $PIPEWRIGHT_RETENTION_DAYS, else 7.
 */
export function retentionDays(given?: number, env: NodeJS.ProcessEnv = process.env): number {
  if (given !== undefined) {
    if (!(given > 0)) throw new Error(`pipewright.retentionDays must be a number of days > 0, got ${given}`);
    return given;
  }
  const text = env.PIPEWRIGHT_RETENTION_DAYS;
  if (text === undefined || text.trim() === '') return DEFAULT_RETENTION_DAYS;
  const days = Number(text);
  if (!(days > 0)) throw new Error(`PIPEWRIGHT_RETENTION_DAYS must be a number of days > 0, got "${text}"`);
  return days;
}
