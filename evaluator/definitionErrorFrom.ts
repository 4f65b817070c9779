import type { DefinitionError } from '../protocol/pipeline';

/** The SDK's exit status for an error in the definition (it printed where as its last line). */
export const SDK_DEFINITION_ERROR_EXIT = 3;

/**
 * The definition error the SDK printed as its last stderr line (`--errors=json`), or, when it
 * printed none (a crash), the raw text as an internal error at the file's first line.
 */
export function definitionErrorFrom(stderr: string, file: string): DefinitionError {
  const lines = stderr.trim().split('\n');
  const last = lines[lines.length - 1] ?? '';
  try {
    const parsed = JSON.parse(last) as { error?: DefinitionError };
    if (parsed.error) return parsed.error;
  } catch {
    // fall through: report the raw text
  }
  return { file, line: 1, column: 1, message: stderr.trim().slice(-2000) || 'the definition failed', kind: 'internal' };
}
