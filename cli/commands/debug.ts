// `pipewright shell ID PATH` (Conducto's livedebug: into the running node's container) and
// `pipewright debug ID PATH` (Conducto's debug: a fresh container like the node's, its command in
// a script). `-- CMD ...` runs a command instead of an interactive shell (scripts, tests).
import { createDockerClient, dockerEndpoint, ensureDockerAvailable } from '../../runner/docker/connect';
import { sdkDirectory } from '../../evaluator/sdkLocation';
import { debugTarget } from '../../runner/debug/debugTarget';
import { DEBUG_SCRIPT, debugContainer, shellInRunningNode, type ShellOptions } from '../../runner/debug/nodeShell';
import { engineFiles } from '../../runner/localDocker/localDockerBackend';
import { PipelineRun } from '../../runner/pipelineRun';
import { parseArgs, UsageError } from '../args';
import { driveAttached } from '../attachTerminal';
import type { CliIO } from '../io';
import { STORE_FLAG, storeFrom } from '../storedPipelines';

const KILLED = 137;

export const shellUsage = 'pipewright shell ID PATH [-- CMD ...]   (a shell in the running node\'s container)';
export const debugUsage = 'pipewright debug ID PATH [-- CMD ...]   (a fresh container like the node\'s, its command in /tmp/pipewright-debug.sh)';

/** The command's own words, and the command to run after `--` (null: an interactive shell). */
function split(argv: readonly string[], usage: string) {
  const at = argv.indexOf('--');
  const own = at === -1 ? argv : argv.slice(0, at);
  const command = at === -1 ? null : argv.slice(at + 1);
  if (command && !command.length) throw new UsageError(`nothing after --: ${usage}`);
  const args = parseArgs(own, { flags: STORE_FLAG });
  const [id, nodePath, ...extra] = args.positionals;
  if (!id || !nodePath || extra.length) throw new UsageError(usage);
  return { args, id, nodePath, command };
}

/** A terminal when both ends are one; stdin for a shell (a command given after -- gets none). */
function shellOptions(command: readonly string[] | null): ShellOptions {
  const interactive = command === null;
  return { command, stdin: interactive, tty: interactive && Boolean(process.stdin.isTTY && process.stdout.isTTY) };
}

async function connect() {
  const docker = createDockerClient();
  const engine = await ensureDockerAvailable(docker);
  return { docker, engine };
}

export async function shellCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { args, id, nodePath, command } = split(argv, shellUsage);
  const store = storeFrom(args);
  const target = debugTarget(await PipelineRun.inspect(id, { store }), nodePath, 'running');
  const { docker } = await connect();
  const options = shellOptions(command);
  const proc = await shellInRunningNode(docker, target, options);
  if (!options.stdin) return driveAttached(docker, proc, false);
  io.err(`shell in ${nodePath}'s running container (pipeline ${id}, execution ${target.number}); it ends when the node does. exit to leave.\n`);
  const code = await driveAttached(docker, proc, true);
  // SIGKILL: the node ended and the agent stopped every process it left, this shell too. Not the
  // user's failure (an editor's terminal would report it as one).
  if (code === KILLED) {
    io.err(`\n[the shell was stopped: ${nodePath} ended (a node's container keeps no process after it)]\n`);
    return 0;
  }
  return code;
}

export async function debugCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { args, id, nodePath, command } = split(argv, debugUsage);
  const store = storeFrom(args);
  const run = await PipelineRun.inspect(id, { store });
  const target = debugTarget(run, nodePath, 'executed');
  const { docker, engine } = await connect();
  const endpoint = dockerEndpoint(docker);
  const options = shellOptions(command);
  const proc = await debugContainer(
    {
      docker,
      files: { ...engineFiles(endpoint), sdkDir: sdkDirectory() },
      hostCpus: engine.ncpu || 1,
      space: run.space,
      pipelineLive: () => Boolean(store.liveOwner(id)),
    },
    target,
    options,
  );
  if (options.stdin) {
    io.err(
      `debugging ${nodePath} (pipeline ${id}, execution ${target.number}/${target.total}) in a fresh container ${proc.name} of ${target.execution.image}\n` +
        `its command, in ${DEBUG_SCRIPT} (edit it, or run it: bash ${DEBUG_SCRIPT}, or sh in an image without bash; in bash the up arrow has it):\n` +
        target.execution.command.replace(/^/gm, '  ') +
        '\nexit to leave (the container is removed).\n',
    );
  }
  return driveAttached(docker, proc, options.stdin);
}
