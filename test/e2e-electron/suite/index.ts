// Entry point VS Code's extension host loads (bundled by runTest.ts): a tiny sequential runner
// instead of mocha. Tests register with test(); run() resolves when all pass, rejects otherwise.
import './editor.test';
import { runAll } from './runner';

export function run(): Promise<void> {
  return runAll();
}
