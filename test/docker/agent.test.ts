// The worker's agent (runner/localDocker/agent.ts) in real containers of both shells it meets:
// busybox sh (its read times out by itself) and dash (a timer process per job). Jobs go in on
// stdin as the runner frames them; each one's output and end marker come back on stdout, and
// nothing else (the runner takes all that follows one job's end for the next job's).
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { AGENT_SCRIPT, jobFrame, jobScript, newNonce } from '../../runner/localDocker/agent';
import { BUSYBOX_IMAGE, TEST_IMAGE } from '../helpers/runnerHarness';

/** Runs the agent in a container, sends it `jobs` one after the other (each after the last one's end), returns what each printed and its status. */
async function runJobs(image: string, jobs: string[], idleSec = 30): Promise<{ out: string; status: number }[]> {
  const child = spawn('docker', ['run', '-i', '--rm', '-e', `PIPEWRIGHT_IDLE_SEC=${idleSec}`, image, 'sh', '-c', AGENT_SCRIPT], { stdio: ['pipe', 'pipe', 'ignore'] });
  let buffer = '';
  const results: { out: string; status: number }[] = [];
  try {
    for (const script of jobs) {
      const nonce = newNonce();
      const from = buffer.length;
      child.stdin.write(jobFrame(nonce, script));
      const end = await new Promise<RegExpExecArray>((resolve, reject) => {
        const look = () => {
          // No start marker: all the agent sends after the last job's end is this one's.
          const match = new RegExp(`^([\\s\\S]*)\\0PWEND:${nonce} (\\d+) .*\\n`).exec(buffer.slice(from));
          if (match) resolve(match);
        };
        child.stdout.on('data', (d: Buffer) => {
          buffer += d.toString('latin1');
          look();
        });
        child.once('exit', (code) => reject(new Error(`the agent exited (${code}) before job ${results.length + 1} ended: ${JSON.stringify(buffer.slice(from))}`)));
        look();
      });
      child.stdout.removeAllListeners('data');
      results.push({ out: end[1]!, status: Number(end[2]) });
    }
  } finally {
    child.stdin.end();
    child.kill();
  }
  return results;
}

for (const image of [BUSYBOX_IMAGE, TEST_IMAGE]) {
  test(`agent in ${image}: jobs one after another; trailing newlines, backslashes and lines like a job's header are the script's; a long script (big input file) too`, async () => {
    // The header counts the script's lines: a line that looks like another job's header, or like
    // the end line of the earlier protocol, is read as the script's own.
    const lookalike = `${newNonce()} 12 1\nPWJOBEND:00000000000000000000000000000000\nkept\n\n`;
    const small = jobScript({ command: 'printf "%s|" "$A"; cat /tmp/in; echo; echo "args: $#"', env: { A: 'x\\y\n\nz\n' }, workdir: null, inputs: [{ path: '/tmp/in', content: lookalike }] });
    const bigInput = 'line of input\n'.repeat(6000); // over 64 KB: read by head
    const big = jobScript({ command: 'wc -c < /tmp/big; exit 3', env: {}, workdir: null, inputs: [{ path: '/tmp/big', content: bigInput }] });
    const [first, second, third] = await runJobs(image, [small, big, jobScript({ command: 'echo after', env: {}, workdir: null })]);
    assert.equal(first!.out, `x\\y\n\nz\n|${lookalike}\nargs: 0\n`);
    assert.equal(first!.status, 0);
    assert.equal(second!.out.trim(), String(Buffer.byteLength(bigInput)), "the input file byte for byte");
    assert.equal(second!.status, 3);
    assert.deepEqual(third, { out: 'after\n', status: 0 });
  });

  test(`agent in ${image}: an idle agent stops by itself`, async () => {
    const started = Date.now();
    const child = spawn('docker', ['run', '-i', '--rm', '-e', 'PIPEWRIGHT_IDLE_SEC=1', image, 'sh', '-c', AGENT_SCRIPT], { stdio: ['pipe', 'ignore', 'ignore'] });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0);
    assert.ok(Date.now() - started < 15_000, `stopped after ${Date.now() - started} ms`);
  });
}
