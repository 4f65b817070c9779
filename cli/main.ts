import { DefinitionFailure } from '../evaluator/evaluateDefinition';
import { UsageError } from './args';
import * as pipelines from './commands/pipelines';
import { debugCommand, debugUsage, shellCommand, shellUsage } from './commands/debug';
import { runCommand, runUsage } from './commands/run';
import { sdkCommand, sdkUsage } from './commands/sdk';
import { serviceCommand, serviceUsage, watchCommand, watchUsage } from './commands/service';
import { sleepCommand, sleepUsage, wakeCommand, wakeUsage } from './commands/sleepWake';
import { treeCommand, treeUsage } from './commands/tree';
import { processIO, type CliIO } from './io';
import { boundHeapGrowth } from '../runner/heapGrowth';

type Command = (argv: readonly string[], io: CliIO) => Promise<number>;

const commands: Record<string, Command> = {
  tree: treeCommand,
  run: runCommand,
  list: pipelines.listCommand,
  show: pipelines.showCommand,
  logs: pipelines.logsCommand,
  reset: pipelines.resetCommand,
  skip: pipelines.skipCommand,
  unskip: pipelines.unskipCommand,
  kill: pipelines.killCommand,
  start: pipelines.startCommand,
  sleep: sleepCommand,
  wake: wakeCommand,
  modify: pipelines.modifyCommand,
  refresh: pipelines.refreshCommand,
  sdk: sdkCommand,
  service: serviceCommand,
  watch: watchCommand,
  shell: shellCommand,
  debug: debugCommand,
};

/**
 * Commands that read a stored run and exit: V8's own heap growth suits them (fewer collections:
 * `show` of a million-node run, 3.7 s and 620 MB against 4.8 s and 546 MB). A process that holds
 * runs (run, service, watch...) grows its heap 20% at a time (runner/heapGrowth.ts).
 */
const READ_ONCE = new Set(['tree', 'list', 'show', 'logs', 'sdk']);

const usage = [
  'usage:',
  ...[treeUsage, runUsage, pipelines.listUsage, pipelines.showUsage, pipelines.logsUsage, pipelines.resetUsage, pipelines.skipUsage, pipelines.unskipUsage, pipelines.killUsage, pipelines.startUsage, sleepUsage, wakeUsage, pipelines.modifyUsage, pipelines.refreshUsage, watchUsage, shellUsage, debugUsage, serviceUsage, sdkUsage].map((u) => `  ${u}`),
  'common: --store DIR (default $PIPEWRIGHT_HOME or ~/.pipewright), --cpus N / --memory GB (resource budget)',
].join('\n');

export async function runCli(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(`${usage}\n`);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    io.err(`pipewright: unknown command "${name}"\n${usage}\n`);
    return 2;
  }
  try {
    return await command(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`pipewright ${name}: ${err.message}\n${usage}\n`);
      return 2;
    }
    if (err instanceof DefinitionFailure) {
      io.err(`${err.message}\n`);
      return 3;
    }
    io.err(`pipewright ${name}: ${(err as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) {
  if (!READ_ONCE.has(process.argv[2] ?? '')) boundHeapGrowth();
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`pipewright: ${String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
