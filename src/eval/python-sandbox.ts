import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UnbundleError } from '../errors.ts';
import type { SandboxSettings } from './metric.ts';

/**
 * Runs untrusted Python (model-written code plus its tests) in a child process: its own temp dir,
 * a wall-clock and CPU time limit, an address-space limit, a scrubbed environment, and no network
 * (a fresh network namespace via `unshare -n` where the kernel allows it; sockets are also
 * refused inside Python). It is a guard against accidents — runaway loops, memory blow-ups,
 * stray downloads — not a security boundary against a hostile program.
 */

export const sandboxDefaults = { python: 'python3', timeoutMs: 10_000, memoryMb: 512 } as const;

export type SandboxStatus = 'passed' | 'failed' | 'timeout' | 'memory-limit';

export interface SandboxResult {
  status: SandboxStatus;
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  /** The ends of the program's output (at most 4 KB each). */
  stdout: string;
  stderr: string;
  /** False when no network namespace could be made: the program could reach the network. */
  networkIsolated: boolean;
}

const bootstrap = `
import resource, socket, sys
nonce = sys.stdin.readline().strip()
memory, cpu = int(sys.argv[1]) * 1024 * 1024, int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
resource.setrlimit(resource.RLIMIT_FSIZE, (16 * 1024 * 1024, 16 * 1024 * 1024))
class NoNetwork(socket.socket):
    def __init__(self, *args, **kwargs):
        raise OSError("network access is disabled in the unbundle sandbox")
def no_network(*args, **kwargs):
    raise OSError("network access is disabled in the unbundle sandbox")
socket.socket = NoNetwork
socket.create_connection = no_network
socket.getaddrinfo = no_network
def run(source):
    exec(compile(source, "program.py", "exec"), {"__name__": "__main__"})
with open("program.py", encoding="utf-8") as f:
    source = f.read()
try:
    run(source)
except SystemExit as stop:
    # A program that exits early has not run its tests to the end.
    print(f"program exited early (SystemExit {stop.code!r}) before the tests finished", file=sys.stderr)
    sys.exit(3)
sys.stdout.flush()
print("\\n" + nonce)
`;

let isolationPrefix: string[] | null | undefined;

/** The command prefix that gives a child its own empty network namespace, or null if none works. */
export function networkIsolationPrefix(): string[] | null {
  if (isolationPrefix !== undefined) return isolationPrefix;
  isolationPrefix = null;
  for (const prefix of [['unshare', '--net'], ['unshare', '--map-root-user', '--net']]) {
    const probe = spawnSync(prefix[0]!, [...prefix.slice(1), 'true'], { stdio: 'ignore', timeout: 5000 });
    if (probe.status === 0) {
      isolationPrefix = prefix;
      break;
    }
  }
  return isolationPrefix;
}

const resolvedPythons = new Map<string, string | null>();

/**
 * The interpreter's real path, found once: version-manager shims (pyenv, asdf) cost most of a second
 * per start, more than a typical test run itself.
 */
function resolvePython(python: string): string {
  if (!resolvedPythons.has(python)) {
    const probe = spawnSync(python, ['-c', 'import resource, sys; print(sys.executable)'], { encoding: 'utf8', timeout: 10_000 });
    const executable = probe.status === 0 ? probe.stdout.trim() : '';
    resolvedPythons.set(python, probe.status === 0 ? executable || python : null);
  }
  const resolved = resolvedPythons.get(python);
  if (!resolved) {
    throw new UnbundleError('UNBUNDLE_E_UNSUPPORTED', `code execution needs a Python 3 interpreter on a POSIX system: "${python}" did not run — install python3 or set the sandbox's python path`);
  }
  return resolved;
}

const tail = (text: string, limit = 4096): string => (text.length > limit ? `…${text.slice(-limit)}` : text);

/** Runs one Python program under the limits and reports how it ended. */
export async function runPythonSandboxed(program: string, settings: SandboxSettings & { signal?: AbortSignal } = {}): Promise<SandboxResult> {
  const python = settings.python ?? sandboxDefaults.python;
  const timeoutMs = settings.timeoutMs ?? sandboxDefaults.timeoutMs;
  const memoryMb = settings.memoryMb ?? sandboxDefaults.memoryMb;
  const executable = resolvePython(python);
  const prefix = networkIsolationPrefix();
  const dir = await mkdtemp(path.join(tmpdir(), 'unbundle-sandbox-'));
  const nonce = randomBytes(16).toString('hex');
  try {
    await writeFile(path.join(dir, 'program.py'), program, 'utf8');
    await writeFile(path.join(dir, 'bootstrap.py'), bootstrap, 'utf8');
    const cpuSeconds = Math.max(1, Math.ceil(timeoutMs / 1000));
    const argv = [...(prefix ?? []), executable, '-I', 'bootstrap.py', String(memoryMb), String(cpuSeconds)];
    const started = performance.now();
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: dir,
      detached: true, // its own process group, so a timeout kills whatever it started too
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', PYTHONIOENCODING: 'utf-8', PYTHONHASHSEED: '0', HOME: dir, TMPDIR: dir },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout = (stdout + chunk).slice(-65_536)));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-65_536)));
    child.stdin.on('error', () => undefined);
    child.stdin.end(`${nonce}\n`);
    let timedOut = false;
    const kill = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, timeoutMs);
    settings.signal?.addEventListener('abort', kill, { once: true });
    const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, sig) => resolve([code, sig]));
    });
    clearTimeout(timer);
    settings.signal?.removeEventListener('abort', kill);
    settings.signal?.throwIfAborted();
    const durationMs = performance.now() - started;
    const finished = exitCode === 0 && stdout.trimEnd().endsWith(nonce);
    let status: SandboxStatus = finished ? 'passed' : 'failed';
    if (timedOut || signal === 'SIGXCPU') status = 'timeout';
    else if (!finished && /\bMemoryError\b/.test(stderr)) status = 'memory-limit';
    const cleanOut = stdout.replace(new RegExp(`\\n?${nonce}\\s*$`), '');
    return { status, exitCode, signal, durationMs, stdout: tail(cleanOut), stderr: tail(stderr), networkIsolated: prefix !== null };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
