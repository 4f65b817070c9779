// Which backend a run asks for, and the registry a swarm needs: checked before any engine is asked,
// each refusal naming where the value came from.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { backendChoice, BackendChoiceError } from '../../runner/runContext';
import { CLIENT_ENV, engineOptions } from '../../runner/service/engineOptions';

test('docker by default; the option wins over PIPEWRIGHT_BACKEND; a swarm takes the registry from the option or PIPEWRIGHT_REGISTRY', () => {
  assert.deepEqual(backendChoice({}, {}), { kind: 'docker' });
  assert.deepEqual(backendChoice({}, { PIPEWRIGHT_BACKEND: 'swarm', PIPEWRIGHT_REGISTRY: '10.0.0.1:5000' }), { kind: 'swarm', registry: '10.0.0.1:5000' });
  assert.deepEqual(backendChoice({ backend: 'docker', backendFrom: '--backend' }, { PIPEWRIGHT_BACKEND: 'swarm' }), { kind: 'docker' });
  assert.deepEqual(backendChoice({ backend: 'swarm', registry: 'registry.local:5000' }, {}), { kind: 'swarm', registry: 'registry.local:5000' });
});

test('an unknown backend, a bad registry and a swarm without one are refused, naming the flag, variable or setting', () => {
  assert.throws(() => backendChoice({ backend: 'kubernetes', backendFrom: '--backend' }, {}), (err: Error) => err instanceof BackendChoiceError && /Unknown backend "kubernetes" \(from --backend\): use docker or swarm/.test(err.message));
  assert.throws(() => backendChoice({}, { PIPEWRIGHT_BACKEND: 'k8s' }), /from PIPEWRIGHT_BACKEND/);
  assert.throws(() => backendChoice({ backend: 'swarm', backendFrom: 'the pipewright.backend setting' }, {}), /swarm backend \(from the pipewright.backend setting\) needs a registry.*--registry HOST:PORT, PIPEWRIGHT_REGISTRY or the pipewright.registry setting/);
  assert.throws(() => backendChoice({ registry: 'http://x:5000/', registryFrom: '--registry' }, {}), /Invalid registry "http:\/\/x:5000\/" \(from --registry\): give HOST:PORT/);
});

test('a client sends its backend and registry to the runner service, from its options or its environment, with their source', () => {
  assert.deepEqual(
    (({ backend, backendFrom, registry, registryFrom }) => ({ backend, backendFrom, registry, registryFrom }))(engineOptions({}, { PIPEWRIGHT_BACKEND: 'swarm', PIPEWRIGHT_REGISTRY: '10.0.0.1:5000' })),
    { backend: 'swarm', backendFrom: 'PIPEWRIGHT_BACKEND', registry: '10.0.0.1:5000', registryFrom: 'PIPEWRIGHT_REGISTRY' },
  );
  const fromFlags = engineOptions({ backend: 'docker', backendFrom: '--backend' }, { PIPEWRIGHT_BACKEND: 'swarm' });
  assert.equal(fromFlags.backend, 'docker');
  assert.equal(fromFlags.backendFrom, '--backend');
  assert.ok(CLIENT_ENV.includes('PIPEWRIGHT_BACKEND') && CLIENT_ENV.includes('PIPEWRIGHT_REGISTRY'), "the service ignores its own");
});
