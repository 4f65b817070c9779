// A runner holds a large pipeline's tree while it runs. V8 lets its heap grow to about twice what is
// live before it collects the old generation again: a million-node run peaked at 1.4 GB of RSS with
// 0.65 GB live. Growing by 20% at a time keeps the peak near what is live (997 MB at a million
// nodes; 30%: 1,033 MB) for some more CPU in the runner (bench/million.ts measures both).
import { setFlagsFromString } from 'node:v8';

export function boundHeapGrowth(): void {
  setFlagsFromString('--heap-growing-percent=20');
}
