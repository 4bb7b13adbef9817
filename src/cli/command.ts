import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UnbundleError } from '../errors.ts';

/** What a command may touch besides its arguments: injectable for tests. */
export interface CommandIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface Command {
  /** e.g. "serve" or "route train". */
  name: string;
  summary: string;
  usage: string;
  /** Returns the process exit code. Throws UnbundleError for user-facing failures. */
  run(argv: string[], io: CommandIO): Promise<number>;
}

/** Exit codes shared by every command. */
export const exitCodes = {
  ok: 0,
  failure: 1,
  usage: 2,
  config: 3,
  unavailable: 4,
  internal: 70,
} as const;

/**
 * node:util parseArgs with errors a user can act on. `strict` mode rejects unknown flags; the
 * message names the flag and points at --help.
 */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  argv: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/, '');
    throw new UnbundleError('UNBUNDLE_E_USAGE', `unbundle ${command}: ${message}. Run "unbundle ${command} --help" for usage.`, { cause: error });
  }
}

/** Reads an integer flag, rejecting "abc" or "1.5" with a message that names the flag. */
export function intFlag(command: string, flag: string, value: string | undefined, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UnbundleError('UNBUNDLE_E_USAGE', `unbundle ${command}: --${flag} must be a whole number from ${min} to ${max}, got "${value}".`);
  }
  return n;
}
