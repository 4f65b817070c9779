// Log editors are named by node and execution: the tab shows the URI path's last segment.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { test } from 'node:test';
import { logDocumentPath, logDocumentQuery, parseLogDocumentQuery } from '../../extension/panel/logDocumentNames';

test('a log editor’s tab reads "test · e3"; its path holds the run and the node’s ancestors', () => {
  const p = logDocumentPath('ka-ma', '/build/test', 'e3', 'combined');
  assert.equal(p, '/ka-ma/build/test · e3');
  assert.equal(path.posix.basename(p), 'test · e3');
  assert.equal(path.posix.basename(logDocumentPath('ka-ma', '/build/test', 'e3', 'stderr')), 'test · e3 (stderr)');
  assert.equal(logDocumentPath('ka-ma', '/', 'e1', 'combined'), '/ka-ma/(root) · e1');
});

test('the query names run, execution and stream; anything else is refused', () => {
  assert.deepEqual(parseLogDocumentQuery(logDocumentQuery('ka-ma', 'e3', 'stderr')), { runId: 'ka-ma', execution: 'e3', stream: 'stderr' });
  assert.deepEqual(parseLogDocumentQuery('run=ka-ma&execution=e3'), { runId: 'ka-ma', execution: 'e3', stream: 'combined' });
  assert.equal(parseLogDocumentQuery('run=ka-ma&execution=../../etc/passwd'), undefined, 'no path in an execution id');
  assert.equal(parseLogDocumentQuery('execution=e3'), undefined);
});
