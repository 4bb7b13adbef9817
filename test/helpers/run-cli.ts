import { PassThrough, Writable } from 'node:stream';
import { main } from '../../src/cli/main.ts';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with captured output, as a user would from the shell. */
export async function runCli(argv: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; stdin?: string } = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const out = new Writable({ write(chunk, _e, done) { stdout += String(chunk); done(); } });
  const err = new Writable({ write(chunk, _e, done) { stderr += String(chunk); done(); } });
  const stdin = new PassThrough();
  stdin.end(options.stdin ?? '');
  const code = await main(argv, { stdout: out, stderr: err, stdin, env: options.env ?? { ...process.env }, cwd: options.cwd ?? process.cwd() });
  return { code, stdout, stderr };
}
