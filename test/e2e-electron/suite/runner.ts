// A dozen lines of test runner: sequential, stops at nothing, reports like node:test's spec.
type Fn = () => Promise<void>;
const tests: { name: string; fn: Fn }[] = [];

export function test(name: string, fn: Fn): void {
  tests.push({ name, fn });
}

export async function runAll(): Promise<void> {
  const failed: string[] = [];
  for (const t of tests) {
    const start = Date.now();
    try {
      await t.fn();
      console.log(`✔ ${t.name} (${Date.now() - start}ms)`);
    } catch (err) {
      failed.push(t.name);
      console.error(`✖ ${t.name} (${Date.now() - start}ms)\n`, err);
    }
  }
  console.log(`${tests.length - failed.length}/${tests.length} passed`);
  if (failed.length) throw new Error(`${failed.length} failed: ${failed.join('; ')}`);
}
