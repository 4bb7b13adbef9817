import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface Child {
  process: ChildProcess;
  /** The first capture group of the readiness pattern (e.g. the port). */
  ready: string;
  rssBytes(): number;
  stop(): Promise<void>;
}

/**
 * Starts a process for a benchmark and waits until a line of its stdout/stderr matches `ready`.
 * Benchmarks run the load generator, the upstream and the gateway as separate processes so each
 * gets its own event loop, as in a real deployment.
 */
export function startChild(command: string, args: string[], ready: RegExp, env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000): Promise<Child> {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not become ready within ${timeoutMs} ms; output:\n${seen.slice(-2000)}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      if (seen.length < 100_000) seen += chunk.toString();
      const match = ready.exec(seen);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stderr!.off('data', onData);
        // Keep draining output so a chatty child never blocks on a full pipe.
        child.stdout!.resume();
        child.stderr!.resume();
        resolve({
          process: child,
          ready: match[1] ?? '',
          rssBytes: () => readRss(child.pid!),
          stop: () => stopChild(child),
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code} before it was ready; output:\n${seen.slice(-2000)}`));
    });
  });
}

function readRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
