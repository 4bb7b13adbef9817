import { z } from 'zod';
import { defineMetric } from '../metric.ts';
import { runPythonSandboxed, sandboxDefaults } from '../python-sandbox.ts';
import type { CodeTests } from '../suite-schema.ts';

/** The code in a reply: the first ```python (or unlabelled) fence, else the reply as it is. */
export function extractCode(reply: string): string {
  const blocks = [...reply.matchAll(/```([\w+-]*)[^\S\n]*\n([\s\S]*?)(?:```|$)/g)];
  const python = blocks.find((block) => /^(?:py|python3?)?$/i.test(block[1]!));
  const code = python?.[2] ?? blocks[0]?.[2] ?? reply;
  // Leading blank lines only: the indentation of a function body must survive.
  return code.replace(/^(?:[^\S\n]*\n)+/, '').trimEnd();
}

/**
 * The program that tests one answer. An answer that starts indented continues the prefix (a
 * HumanEval completion of the body); one that starts at column 0 follows it (a whole function,
 * which then replaces the prefix's docstring-only stub).
 */
export function buildProgram(reply: string, tests: CodeTests): string {
  const code = extractCode(reply);
  const prefix = tests.prefix ?? '';
  const continues = /^[ \t]/.test(code);
  const body = prefix === '' ? code : continues ? `${prefix.replace(/\n?$/, '\n')}${code}` : `${prefix.replace(/\n?$/, '\n')}\n${code}`;
  const parts = [tests.setup ?? '', body, '', tests.code];
  if (tests.entryPoint) parts.push('', `check(${tests.entryPoint})`);
  return `${parts.join('\n')}\n`;
}

export const codeTestsMetric = defineMetric({
  summary: 'runs the answer against the item\'s Python tests in a sandbox (time and memory limits, no network): 1 when all pass',
  higherIsBetter: true,
  needs: 'sandbox',
  options: z.strictObject({
    timeoutMs: z.number().int().min(100).max(600_000).default(sandboxDefaults.timeoutMs),
    memoryMb: z.number().int().min(32).max(65_536).default(sandboxDefaults.memoryMb),
  }),
  checkItem: (item) => (item.tests ? undefined : { field: 'tests', message: 'required: { code: "<python tests>", entryPoint?, prefix?, setup? }' }),
  bind: (options) => async (prediction, item, context) => {
    const program = buildProgram(prediction, item.tests!);
    // The runner's settings (e.g. a CLI flag) win over the suite's.
    const result = await runPythonSandboxed(program, {
      timeoutMs: context.sandbox?.timeoutMs ?? options.timeoutMs,
      memoryMb: context.sandbox?.memoryMb ?? options.memoryMb,
      ...(context.sandbox?.python !== undefined ? { python: context.sandbox.python } : {}),
      ...(context.signal !== undefined ? { signal: context.signal } : {}),
    });
    const detail: Record<string, unknown> = { status: result.status, durationMs: Math.round(result.durationMs), networkIsolated: result.networkIsolated };
    if (result.status !== 'passed') detail.stderr = result.stderr.slice(-600);
    return { score: result.status === 'passed' ? 1 : 0, detail };
  },
});
