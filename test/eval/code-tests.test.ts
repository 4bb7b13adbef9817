import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { resolveMetrics } from '../../src/eval/metric-registry.ts';
import { buildProgram, extractCode } from '../../src/eval/metrics/code-tests.ts';
import { networkIsolationPrefix, runPythonSandboxed } from '../../src/eval/python-sandbox.ts';
import type { SuiteItem } from '../../src/eval/suite-schema.ts';

const limits = { timeoutMs: 5000, memoryMb: 256 };

describe('python sandbox', () => {
  it('passes a program that runs to the end and fails one that raises', async () => {
    const ok = await runPythonSandboxed('assert sum(range(4)) == 6\nprint("done")', limits);
    assert.equal(ok.status, 'passed');
    assert.equal(ok.stdout.trim(), 'done');
    const bad = await runPythonSandboxed('assert 1 == 2, "nope"', limits);
    assert.equal(bad.status, 'failed');
    assert.match(bad.stderr, /AssertionError: nope/);
  });

  it('does not count an early exit as a pass', async () => {
    assert.equal((await runPythonSandboxed('import sys\nsys.exit(0)\nassert False', limits)).status, 'failed');
    assert.equal((await runPythonSandboxed('import os\nos._exit(0)\nassert False', limits)).status, 'failed');
  });

  it('kills a program that runs past its time limit', async () => {
    const started = Date.now();
    const result = await runPythonSandboxed('while True:\n    pass', { timeoutMs: 700, memoryMb: 256 });
    assert.equal(result.status, 'timeout');
    assert.ok(Date.now() - started < 5000);
  });

  it('stops a program at its memory limit', async () => {
    const result = await runPythonSandboxed('block = bytearray(1024 * 1024 * 1024)', { timeoutMs: 5000, memoryMb: 128 });
    assert.equal(result.status, 'memory-limit');
  });

  it('gives the program no network, not even the host loopback', async () => {
    assert.notEqual(networkIsolationPrefix(), null, 'unshare --net is needed for network isolation (util-linux, root or user namespaces)');
    const server = createServer((socket) => socket.end('hello'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      // _socket bypasses the Python-level guard: only the namespace stops this one.
      const raw = await runPythonSandboxed(`import _socket\ns = _socket.socket()\ns.settimeout(2)\ns.connect(("127.0.0.1", ${port}))`, limits);
      assert.equal(raw.status, 'failed');
      assert.equal(raw.networkIsolated, true);
      assert.match(raw.stderr, /OSError|ConnectionRefused|unreachable/i);
      const high = await runPythonSandboxed(`import urllib.request\nurllib.request.urlopen("http://127.0.0.1:${port}/", timeout=2)`, limits);
      assert.match(high.stderr, /network access is disabled/);
    } finally {
      server.close();
    }
  });

  it('runs in a scrubbed environment and its own temp dir', async () => {
    process.env.UNBUNDLE_TEST_SECRET = 'leak';
    try {
      const result = await runPythonSandboxed('import os\nassert "UNBUNDLE_TEST_SECRET" not in os.environ\nassert "HTTP_PROXY" not in os.environ\nprint(os.getcwd())', limits);
      assert.equal(result.status, 'passed');
      assert.match(result.stdout, /unbundle-sandbox-/);
    } finally {
      delete process.env.UNBUNDLE_TEST_SECRET;
    }
  });
});

describe('code-tests metric', () => {
  const humanEvalLike: SuiteItem = {
    id: 'add',
    input: 'def add(a, b):\n    """Return a + b."""\n',
    tests: { language: 'python', prefix: 'def add(a, b):\n    """Return a + b."""\n', code: 'def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n', entryPoint: 'add' },
  };
  const mbppLike: SuiteItem = { id: 'sq', input: 'square', tests: { language: 'python', setup: 'import math', code: 'assert square(3) == 9\nassert math.isqrt(square(4)) == 4' } };

  it('extracts code from fences and keeps a body\'s indentation', () => {
    assert.equal(extractCode('Here you go:\n```python\ndef f():\n    return 1\n```\nThanks'), 'def f():\n    return 1');
    assert.equal(extractCode('```\nx = 1\n```'), 'x = 1');
    assert.equal(extractCode('\n\n    return a + b\n'), '    return a + b');
  });

  it('builds a program from a body completion and from a whole function', () => {
    assert.equal(buildProgram('    return a + b', humanEvalLike.tests!), `\n${humanEvalLike.tests!.prefix}    return a + b\n\n${humanEvalLike.tests!.code}\n\ncheck(add)\n`);
    assert.match(buildProgram('```python\ndef add(a, b):\n    return a + b\n```', humanEvalLike.tests!), /"""\n\ndef add\(a, b\):\n    return a \+ b\n/);
  });

  it('scores passing and failing answers', async () => {
    const [metric] = resolveMetrics([{ metric: 'code-tests', timeoutMs: 5000 }]);
    assert.equal((await metric!.score('    return a + b', humanEvalLike, {})).score, 1);
    assert.equal((await metric!.score('```python\ndef add(a, b):\n    return b + a\n```', humanEvalLike, {})).score, 1);
    const wrong = await metric!.score('    return a - b', humanEvalLike, {});
    assert.equal(wrong.score, 0);
    assert.equal(wrong.detail?.status, 'failed');
    assert.match(String(wrong.detail?.stderr), /AssertionError/);
    assert.equal((await metric!.score('', humanEvalLike, {})).score, 0);
    assert.equal((await metric!.score('def square(x):\n    return x * x', mbppLike, {})).score, 1);
  });

  it('lets the runner\'s sandbox settings override the suite\'s, and names a missing interpreter', async () => {
    const [metric] = resolveMetrics([{ metric: 'code-tests', timeoutMs: 60_000 }]);
    const looping: SuiteItem = { id: 'loop', input: 'q', tests: { language: 'python', code: 'while True:\n    pass' } };
    const started = Date.now();
    const result = await metric!.score('', looping, { sandbox: { timeoutMs: 500 } });
    assert.equal(result.detail?.status, 'timeout');
    assert.ok(Date.now() - started < 10_000);
    await assert.rejects(Promise.resolve(metric!.score('', mbppLike, { sandbox: { python: '/nonexistent/python3' } })), {
      code: 'UNBUNDLE_E_UNSUPPORTED',
      message: /needs a Python 3 interpreter/,
    });
  });

  it('needs tests on every item', () => {
    const [metric] = resolveMetrics(['code-tests']);
    assert.equal(metric!.checkItem({ id: 'x', input: 'q' })?.field, 'tests');
  });
});
