// Pipeline networks a killed runner left hold Docker's address ranges (about 30 on a default
// engine). reclaimUnusedNetworks frees those nobody runs any more, and only those.
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import Dockerode from 'dockerode';
import { DIR_LABEL, OWNER_LABEL, reclaimUnusedNetworks } from '../../runner/localDocker/pipelineNetwork';
import { PipelineStore } from '../../runner/store/pipelineStore';
import { node } from '../helpers/nodes';
import { BUSYBOX_IMAGE } from '../helpers/runnerHarness';

const docker = new Dockerode();
const root = mkdtempSync(path.join(tmpdir(), 'pw-netreclaim-'));
const made: string[] = [];
const containers: string[] = [];
after(async () => {
  for (const id of containers) await docker.getContainer(id).remove({ force: true }).catch(() => undefined);
  for (const name of made) await docker.getNetwork(name).remove().catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

let subnet = 0;
async function network(name: string, dir: string): Promise<string> {
  made.push(name);
  // Own subnets: the engine's default address pools may be full (that is what this is about).
  const net = `10.213.${(process.pid % 50) * 4 + subnet++}.0/24`;
  await docker.createNetwork({ Name: name, Driver: 'bridge', IPAM: { Config: [{ Subnet: net }] }, Labels: { [OWNER_LABEL]: 'test', [DIR_LABEL]: dir } });
  return name;
}

const exists = (name: string) => docker.getNetwork(name).inspect().then(() => true, () => false);

test('unused networks of pipelines nobody runs are removed; a live pipeline’s and one a container uses stay', async () => {
  const suffix = `${process.pid}-${Date.now()}`;
  const store = new PipelineStore(root);
  const live = store.create({ pipewright: 1, name: 'live', file: '/x/live.py', nodes: [node('/', 'Exec', 'true')] }).id;
  store.claim(live);
  const stopped = store.create({ pipewright: 1, name: 'stopped', file: '/x/stopped.py', nodes: [node('/', 'Exec', 'true')] }).id;
  const gone = path.join(root, 'pipelines', 'gone-pipeline');
  mkdirSync(path.join(root, 'elsewhere'), { recursive: true });

  const ofLive = await network(`pw-reclaim-live-${suffix}`, store.dir(live));
  const ofStopped = await network(`pw-reclaim-stopped-${suffix}`, store.dir(stopped));
  const ofGone = await network(`pw-reclaim-gone-${suffix}`, gone);
  const inUse = await network(`pw-reclaim-inuse-${suffix}`, gone);
  const container = await docker.createContainer({ Image: BUSYBOX_IMAGE, Cmd: ['sleep', '60'], HostConfig: { NetworkMode: inUse } });
  containers.push(container.id);
  await container.start();

  const removed = await reclaimUnusedNetworks(docker);
  assert.ok(removed.includes(ofStopped), `the stopped pipeline's network goes (removed: ${removed.join(', ')})`);
  assert.ok(removed.includes(ofGone), 'a deleted pipeline’s network goes');
  assert.equal(await exists(ofLive), true, 'a live pipeline keeps its network');
  assert.equal(await exists(inUse), true, 'a network a container uses stays');
  assert.equal(await exists(ofStopped), false);
  store.release(live);
});
