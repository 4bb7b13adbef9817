import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from './helpers/paths.ts';

/** Runs a script that logs through createLogger to stdout (fd 1) and returns what reached stdout. */
function run(body: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'unbundle-logger-'));
  try {
    const script = path.join(dir, 'script.ts');
    writeFileSync(script, `import { createLogger, lineWriter } from ${JSON.stringify(path.join(repoRoot, 'src/logger.ts'))};\nimport { requestLogLine } from ${JSON.stringify(path.join(repoRoot, 'src/server/request-log-line.ts'))};\n${body}\n`);
    const result = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot, encoding: 'utf8', timeout: 30_000 });
    assert.equal(result.status, 0, result.stderr);
    return result.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const lines = (stdout: string) => stdout.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>);

test('request lines and pino lines keep their order, in one JSON-lines stream', () => {
  const out = run(`
const logger = createLogger('info');
const write = lineWriter(logger)!;
write(requestLogLine({ id: 'r1' }));
write(requestLogLine({ id: 'r2' }));
logger.warn({ id: 'w1' }, 'warning');
write(requestLogLine({ id: 'r3' }));
setTimeout(() => logger.info({ id: 'i1' }, 'done'), 20);
`);
  assert.deepEqual(lines(out).map((line) => `${line.id}:${line.msg}`), ['r1:request', 'r2:request', 'w1:warning', 'r3:request', 'i1:done']);
});

test('lines still batched when the process exits in the same turn are written, not lost', () => {
  const out = run(`
const logger = createLogger('info');
const write = lineWriter(logger)!;
for (let i = 0; i < 100; i++) write(requestLogLine({ id: 'late-' + i }));
process.exit(0);
`);
  const ids = lines(out).map((line) => line.id);
  assert.equal(ids.length, 100);
  assert.equal(ids[99], 'late-99');
});
