/**
 * `trellis <command>`: the command-line entry point. Each command lives in ./commands/ and
 * declares its flags; this file only dispatches and turns errors into exit codes.
 */
import { parseArgs } from 'node:util';
import { TrellisError } from '../util/errors.ts';
import { UsageError, type Command, type FlagValues } from './command.ts';
import { agentCommand } from './commands/agent.ts';
import { bootstrapCommand } from './commands/bootstrap.ts';
import { applyCommand, diffCommand } from './commands/config-write.ts';
import { deleteCommand, historyCommand, restoreCommand } from './commands/config-revisions.ts';
import { explainCommand, getCommand } from './commands/config-read.ts';
import { tokenCommand } from './commands/token.ts';
import { deregisterCommand, heartbeatCommand, registerCommand, servicesCommand } from './commands/registry.ts';
import { serveCommand } from './commands/serve.ts';
import { statusCommand } from './commands/status.ts';
import { CliError } from './http-client.ts';

const COMMANDS: Readonly<Record<string, Command>> = {
  serve: serveCommand,
  register: registerCommand,
  deregister: deregisterCommand,
  heartbeat: heartbeatCommand,
  services: servicesCommand,
  status: statusCommand,
  bootstrap: bootstrapCommand,
  apply: applyCommand,
  diff: diffCommand,
  get: getCommand,
  delete: deleteCommand,
  explain: explainCommand,
  history: historyCommand,
  restore: restoreCommand,
  token: tokenCommand,
  agent: agentCommand,
};

function help(): string {
  const lines = ['usage: trellis <command> [flags]', '', 'commands:'];
  for (const [name, command] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(11)} ${command.summary}`);
  lines.push('', 'Run `trellis <command> --help` for its flags.');
  return lines.join('\n');
}

/** Runs the CLI with `argv` (without node and script); resolves to the process exit code. */
export async function runCli(argv: readonly string[], out: (text: string) => void = (t) => process.stdout.write(`${t}\n`)): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    out(help());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`trellis: unknown command "${name}"\n${help()}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    out(`usage: ${command.usage}\n${command.summary}`);
    return 0;
  }
  let values: FlagValues;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: [...rest], options: command.options, strict: true, allowPositionals: command.positionals === true }));
  } catch (error) {
    process.stderr.write(`trellis ${name}: ${(error as Error).message}\nusage: ${command.usage}\n`);
    return 2;
  }
  try {
    return await command.run(values, out, positionals);
  } catch (error) {
    if (error instanceof CliError || error instanceof UsageError) {
      process.stderr.write(`trellis ${name}: ${error.message}\n`);
      return error instanceof UsageError ? 2 : 1;
    }
    const known = explainStartFailure(error);
    if (known) {
      process.stderr.write(`trellis ${name}: ${known}\n`);
      return 1;
    }
    throw error;
  }
}


/** A readable line for the start failures an operator can fix (busy port, data folder in use). */
function explainStartFailure(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : String(error);
  const busy = /EADDRINUSE[^\]]*?(\d[\d.:[\]a-f]*:\d+)/i.exec(message) ?? /address already in use ([^\s\]]+)/i.exec(message);
  if (busy) return `cannot listen on ${busy[1] ?? 'the requested address'}: the address is already in use (pick another with --xds / --api)`;
  if (error instanceof TrellisError && error.kind === 'store') {
    return `${message} (is another Trellis running on the same --data folder? LevelDB allows one process per folder)`;
  }
  return undefined;
}
