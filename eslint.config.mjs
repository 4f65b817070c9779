// Lint, and the walls between rooms (README "Layout"): each room imports only the rooms below it.
// A wrong arrow (the runner importing `vscode`, the protocol importing `node:fs`) fails the build.
import js from '@eslint/js';
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

const nodeBuiltins = { regex: `^(node:.*|${builtinModules.filter((m) => !m.startsWith('_')).join('|')})(/.*)?$`, message: 'this room is plain TypeScript: no Node.js modules' };
const vscode = { name: 'vscode', message: 'only extension/ runs inside VS Code' };
/** Relative imports that reach into one of these top-level rooms. */
const rooms = (names, why) => ({ regex: `^(\\.\\./)+(${names.join('|')})(/|$)`, message: why });

const walls = [
  { files: ['protocol/**/*.ts'], paths: [vscode], patterns: [nodeBuiltins, rooms(['presentation', 'evaluator', 'runner', 'cli', 'extension', 'language-server', 'webview', 'sdk'], 'the protocol imports nothing: everything imports it')] },
  { files: ['presentation/**/*.ts'], paths: [vscode], patterns: [nodeBuiltins, rooms(['evaluator', 'runner', 'cli', 'extension', 'language-server', 'webview'], 'presentation is pure: it may use only protocol/')] },
  { files: ['evaluator/**/*.ts'], paths: [vscode], patterns: [rooms(['runner', 'cli', 'extension', 'language-server', 'webview'], 'the evaluator sits below the runner, the CLI, the language server and the editor')] },
  { files: ['runner/**/*.ts'], paths: [vscode], patterns: [rooms(['cli', 'extension', 'language-server', 'webview'], 'the runner serves the CLI and the editor; it imports neither')] },
  { files: ['cli/**/*.ts'], paths: [vscode], patterns: [rooms(['extension', 'language-server', 'webview'], 'the CLI is not part of the editor')] },
  { files: ['language-server/**/*.ts'], paths: [vscode], patterns: [rooms(['runner', 'cli', 'extension', 'webview'], 'the language server evaluates definitions; it runs nothing')] },
  { files: ['webview/**/*.ts'], paths: [vscode], patterns: [nodeBuiltins, rooms(['evaluator', 'runner', 'cli', 'extension', 'language-server'], 'the webview is browser code: it speaks to its host through protocol/ only')] },
  { files: ['extension/**/*.ts'], patterns: [rooms(['cli', 'language-server', 'webview'], 'the extension runs the CLI, the server and the webview as separate programs; it shares code with them through protocol/, presentation/, evaluator/ and runner/')] },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-artifacts/**', 'test/e2e/fake-python-extension/**', 'test/e2e/fixture-extension/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  ...walls.map(({ files, paths = [], patterns }) => ({ files, rules: { 'no-restricted-imports': ['error', { paths, patterns }] } })),
);
