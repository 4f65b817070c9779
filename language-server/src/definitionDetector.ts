import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

// A pipeline definition is a Python file importing pipewright or conducto. This is the cheap
// first look (no process); the SDK's ast outline and the evaluation have the last word.
const SDK_IMPORT = /^[ \t]*(?:from[ \t]+(?:pipewright|conducto|clearml)\b|import[ \t]+[^#\n]*\b(?:pipewright|conducto|clearml)\b)/m;

export function isPythonDocument(uri: string, languageId: string): boolean {
  return languageId === 'python' || /\.pyw?$/i.test(uri);
}

export function importsPipelineSdk(text: string): boolean {
  return SDK_IMPORT.test(text);
}

/** The file path of a file: URI, else undefined (untitled buffers are not evaluated). */
export function filePathOf(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return path.resolve(fileURLToPath(uri));
  } catch {
    return undefined;
  }
}

export function samePath(a: string, b: string): boolean {
  const na = path.resolve(a);
  const nb = path.resolve(b);
  return process.platform === 'win32' || process.platform === 'darwin' ? na.toLowerCase() === nb.toLowerCase() : na === nb;
}
