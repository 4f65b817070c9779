import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export { importsPipelineSdk } from '../../protocol/definitionFiles';

export function isPythonDocument(uri: string, languageId: string): boolean {
  return languageId === 'python' || /\.pyw?$/i.test(uri);
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
