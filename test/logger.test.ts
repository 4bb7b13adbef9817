import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from './helpers/paths.ts';

/**
 * Runs a script that logs through createLogger to stdout (fd 1) and returns what reached stdout:
 * a pipe (the asynchronous destination) or, with `toFile`, a regular file (synchronous appends).
 */
function run(body: string, toFile = false): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'unbundle-logger-'));
  try {
    const script = path.join(dir, 'script.ts');
    writeFileSync(script, `import { createLogger, lineWriter } from ${JSON.stringify(path.join(repoRoot, 'src/logger.ts'))};\nimport { requestLogLine } from ${JSON.stringify(path.join(repoRoot, 'src/server/request-log-line.ts'))};\n${body}\n`);
    const logFile = path.join(dir, 'out.log');
    const fd = toFile ? openSync(logFile, 'w') : undefined;
    try {
      const result = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot, encoding: 'utf8', timeout: 30_000, stdio: ['ignore', fd ?? 'pipe', 'pipe'] });
      assert.equal(result.status, 0, result.stderr);
      return toFile ? readFileSync(logFile, 'utf8') : result.stdout;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const lines = (stdout: string) => stdout.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>);

for (const toFile of [false, true]) {
  const where = toFile ? 'a file' : 'a pipe';

  test(`request lines and pino lines keep their order, in one JSON-lines stream (${where})`, () => {
    const out = run(`
const logger = createLogger('info');
const write = lineWriter(logger)!;
write(requestLogLine({ id: 'r1' }));
write(requestLogLine({ id: 'r2' }));
logger.warn({ id: 'w1' }, 'warning');
write(requestLogLine({ id: 'r3' }));
setTimeout(() => logger.info({ id: 'i1' }, 'done'), 20);
  `, toFile);
    assert.deepEqual(lines(out).map((line) => `${line.id}:${line.msg}`), ['r1:request', 'r2:request', 'w1:warning', 'r3:request', 'i1:done']);
  });

  test(`lines still batched when the process exits in the same turn are written, not lost (${where})`, () => {
    const out = run(`
const logger = createLogger('info');
const write = lineWriter(logger)!;
for (let i = 0; i < 100; i++) write(requestLogLine({ id: 'late-' + i }));
process.exit(0);
  `, toFile);
    const ids = lines(out).map((line) => line.id);
    assert.equal(ids.length, 100);
    assert.equal(ids[99], 'late-99');
  });
}
