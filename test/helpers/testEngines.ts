// Docker engines the tests start themselves (scripts/test-engines.sh): each in network, mount and
// UTS namespaces of its own, sharing no files with the runner, reachable over TCP.
import { execFileSync, spawnSync } from 'node:child_process';
import * as path from 'node:path';

const script = path.resolve(__dirname, '..', '..', 'scripts', 'test-engines.sh');

/** Starts engines `indices` (tcp://10.77.0.(10+i):2375) and returns their DOCKER_HOSTs. */
export function startEngines(indices: readonly number[]): string[] {
  const out = execFileSync('bash', [script, 'start', ...indices.map(String)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return out.trim().split('\n').filter(Boolean);
}

export function stopEngines(indices: readonly number[]): void {
  execFileSync('bash', [script, 'stop', ...indices.map(String)], { stdio: 'inherit' });
}

/** Copies images from this machine's engine to another (docker save | docker load), unless it has them. */
export function loadImages(dockerHost: string, images: readonly string[]): void {
  const remote = { ...process.env, DOCKER_HOST: dockerHost };
  const local = { ...process.env };
  delete local.DOCKER_HOST;
  const missing = images.filter((image) => spawnSync('docker', ['image', 'inspect', image], { env: remote, stdio: 'ignore' }).status !== 0);
  if (!missing.length) return;
  execFileSync('sh', ['-c', `docker save ${missing.join(' ')} | DOCKER_HOST=${dockerHost} docker load -q`], { env: local, stdio: ['ignore', 'ignore', 'inherit'] });
}
