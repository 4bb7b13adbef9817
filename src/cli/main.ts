import { isUnbundleError, type UnbundleError } from '../errors.ts';
import { exitCodes, type CommandIO } from './command.ts';
import { commands } from './commands.ts';

const version = '0.1.0';

async function helpText(): Promise<string> {
  const lines = ['unbundle — one OpenAI-compatible endpoint over a portfolio of models', '', 'Usage: unbundle <command> [options]', '', 'Commands:'];
  for (const name of Object.keys(commands).sort()) {
    const command = await commands[name]!();
    lines.push(`  ${name.padEnd(16)} ${command.summary}`);
  }
  lines.push('', 'Run "unbundle <command> --help" for a command\'s options.', 'Docs: README.md and docs/ in the repository.');
  return lines.join('\n') + '\n';
}

function exitCodeFor(error: UnbundleError): number {
  if (error.code === 'UNBUNDLE_E_USAGE') return exitCodes.usage;
  if (error.code === 'UNBUNDLE_E_CONFIG') return exitCodes.config;
  if (error.code === 'UNBUNDLE_E_MODEL_DOWNLOAD' || error.code === 'UNBUNDLE_E_MODEL_LOAD') return exitCodes.unavailable;
  if (error.code === 'UNBUNDLE_E_INTERNAL') return exitCodes.internal;
  return exitCodes.failure;
}

/** The one top-level error boundary: every failure becomes a message and an exit code. */
export async function main(argv: string[], io: CommandIO): Promise<number> {
  try {
    const [first, second] = argv;
    if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
      io.stdout.write(await helpText());
      return first === undefined ? exitCodes.usage : exitCodes.ok;
    }
    if (first === '--version' || first === '-v') {
      io.stdout.write(`${version}\n`);
      return exitCodes.ok;
    }
    const twoWord = second !== undefined ? `${first} ${second}` : undefined;
    const name = twoWord !== undefined && commands[twoWord] ? twoWord : first;
    const load = commands[name];
    if (!load) {
      const groups = Object.keys(commands).filter((key) => key.startsWith(`${first} `));
      const hint = groups.length > 0 ? `"unbundle ${first}" needs a subcommand: ${groups.map((g) => g.split(' ')[1]).join(', ')}.` : `unknown command "${first}".`;
      io.stderr.write(`unbundle: ${hint} Run "unbundle --help" for the list.\n`);
      return exitCodes.usage;
    }
    const command = await load();
    const rest = argv.slice(name.split(' ').length);
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout.write(`${command.usage.trimEnd()}\n`);
      return exitCodes.ok;
    }
    return await command.run(rest, io);
  } catch (error) {
    if (isUnbundleError(error)) {
      // Usage errors already say which command they are about ("unbundle serve: ...").
      io.stderr.write(error.message.startsWith('unbundle ') ? `${error.message}\n` : `unbundle: ${error.message}\n`);
      return exitCodeFor(error);
    }
    io.stderr.write(`unbundle: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
    return exitCodes.internal;
  }
}
