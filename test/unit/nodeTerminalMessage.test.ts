// The panel's "Open Shell" / "Debug" buttons reach the host as a `terminal` message, checked on receipt.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { isWebviewToHost } from '../../protocol/webviewMessages';

test('webview → host: a terminal for a node, shell or debug; anything else is refused', () => {
  assert.ok(isWebviewToHost({ type: 'terminal', path: '/a/b', kind: 'shell' }));
  assert.ok(isWebviewToHost({ type: 'terminal', path: '/a', kind: 'debug' }));
  for (const bad of [{ type: 'terminal', path: '/a', kind: 'exec' }, { type: 'terminal', path: 'a', kind: 'shell' }, { type: 'terminal', kind: 'debug' }, { type: 'terminal', path: '/a' }]) {
    assert.equal(isWebviewToHost(bad), false, JSON.stringify(bad));
  }
});
