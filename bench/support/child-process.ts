import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Child {
  process: ChildProcess;
  /** The first capture group of the readiness pattern (e.g. the port). */
  ready: string;
  /** Where the child's stdout and stderr go (its request log, for a gateway); removed by stop() unless BENCH_KEEP_LOGS is set. */
  logFile: string;
  rssBytes(): number;
  stop(): Promise<void>;
}

/**
 * Starts a process for a benchmark and waits until its output matches `ready`.
 * Benchmarks run the load generator, the upstream and the gateway as separate processes so each
 * gets its own event loop, as in a real deployment. The child writes its output to a file, as a
 * server's log would go to a file or journald: read through a pipe, a gateway's one log line per
 * request would cost the load generator (this process) CPU that hitting the upstream directly does not.
 */
export async function startChild(command: string, args: string[], ready: RegExp, env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000): Promise<Child> {
  const dir = mkdtempSync(path.join(tmpdir(), 'unbundle-bench-child-'));
  const logFile = path.join(dir, 'output.log');
  // The log (a line per request from a gateway: tens of MB per bench) goes with the child, unless kept.
  const cleanUp = () => {
    if (!process.env.BENCH_KEEP_LOGS) rmSync(dir, { recursive: true, force: true });
  };
  const fd = openSync(logFile, 'w');
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = readFileSync(logFile, 'utf8');
    const match = ready.exec(seen);
    if (match) {
      return { process: child, ready: match[1] ?? '', logFile, rssBytes: () => readRss(child.pid!), stop: () => stopChild(child).then(cleanUp) };
    }
    if (exited !== undefined) {
      cleanUp();
      throw new Error(`${command} exited with ${exited} before it was ready; output:\n${seen.slice(-2000)}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      cleanUp();
      throw new Error(`${command} ${args.join(' ')} did not become ready within ${timeoutMs} ms; output:\n${seen.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function readRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

function stopChild(child: ChildProcess): Promise<void> {
  // Already gone (exited, or killed by a signal): its 'exit' has fired and will not again.
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
