// Bundles every entry point into dist/ and copies the Python SDK beside them (dist/sdk).
import * as esbuild from 'esbuild';
import { chmodSync, cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const production = process.argv.includes('--production');
const dist = join(root, 'dist');

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  absWorkingDir: root,
};
// ssh2's optional native addons are required inside try/catch: left out, they fail softly.
const nodeTarget = { ...common, platform: 'node', format: 'cjs', target: 'node20', external: ['*.node'] };

mkdirSync(dist, { recursive: true });
await Promise.all([
  esbuild.build({ ...nodeTarget, entryPoints: ['extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode', '*.node'] }),
  esbuild.build({ ...nodeTarget, entryPoints: ['language-server/server.ts'], outfile: 'dist/server.js' }),
  esbuild.build({ ...nodeTarget, entryPoints: ['cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } }),
  esbuild.build({ ...common, platform: 'browser', format: 'iife', target: 'es2022', entryPoints: ['webview/main.ts'], outfile: 'dist/webview.js' }),
  // The panel's styles (xterm's inlined) and the codicon font the webview loads from dist/.
  esbuild.build({ ...common, entryPoints: ['webview/styles.css'], outfile: 'dist/webview.css' }),
]);
mkdirSync(join(dist, 'codicons'), { recursive: true });
for (const file of ['codicon.css', 'codicon.ttf']) cpSync(join(root, 'node_modules', '@vscode', 'codicons', 'dist', file), join(dist, 'codicons', file));
chmodSync(join(dist, 'cli.js'), 0o755);
// Running containers bind-mount dist/sdk: build beside it and swap, never leave it missing.
const fresh = join(dist, 'sdk.new');
const stale = join(dist, 'sdk.old');
rmSync(fresh, { recursive: true, force: true });
rmSync(stale, { recursive: true, force: true });
cpSync(join(root, 'sdk'), fresh, {
  recursive: true,
  filter: (src) => !/__pycache__|\.pyc$/.test(src),
});
if (existsSync(join(dist, 'sdk'))) renameSync(join(dist, 'sdk'), stale);
renameSync(fresh, join(dist, 'sdk'));
rmSync(stale, { recursive: true, force: true });
