import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StreamPart } from '../../src/backends/types.ts';
import { Placeholders, redactSpans, restoreJsonText, restoreText } from '../../src/policy/placeholders.ts';
import { rehydrateResult, rehydrateStream } from '../../src/policy/rehydrate-stream.ts';

function placeholdersFor(values: Array<[string, string]>): Placeholders {
  const placeholders = new Placeholders();
  for (const [type, value] of values) placeholders.for(type, value);
  return placeholders;
}

async function collect(parts: StreamPart[], placeholders: Placeholders): Promise<StreamPart[]> {
  async function* source() {
    yield* parts;
  }
  const out: StreamPart[] = [];
  for await (const part of rehydrateStream(source(), placeholders)) out.push(part);
  return out;
}

const textOf = (parts: StreamPart[]) => parts.map((p) => (p.type === 'text-delta' ? p.text : '')).join('');

describe('reversible redaction', () => {
  it('gives the same value the same placeholder and never reuses one the request already contains', () => {
    const placeholders = new Placeholders((candidate) => 'literal <EMAIL_1> in the text'.includes(candidate));
    const text = 'a@x.io and b@y.io and a@x.io';
    const out = redactSpans(text, [{ type: 'EMAIL', start: 0, end: 6 }, { type: 'EMAIL', start: 11, end: 17 }, { type: 'EMAIL', start: 22, end: 28 }], placeholders);
    assert.equal(out, '<EMAIL_2> and <EMAIL_3> and <EMAIL_2>');
    assert.equal(restoreText(out, placeholders), text);
  });

  it('leaves unknown placeholders alone and JSON-escapes values inside tool arguments', () => {
    const placeholders = placeholdersFor([['SECRET', 'pa"ss\\word']]);
    assert.equal(restoreText('<SECRET_1> <SECRET_2> <secret_1>', placeholders), 'pa"ss\\word <SECRET_2> <secret_1>');
    const args = restoreJsonText('{"password":"<SECRET_1>"}', placeholders);
    assert.deepEqual(JSON.parse(args), { password: 'pa"ss\\word' });
    const result = rehydrateResult({ text: 'is <SECRET_1>', toolCalls: [{ id: 'c', name: 'f', arguments: '{"p":"<SECRET_1>"}' }], finishReason: 'stop', usage: { inputTokens: 1, outputTokens: 1 } }, placeholders);
    assert.equal(result.text, 'is pa"ss\\word');
    assert.deepEqual(JSON.parse(result.toolCalls[0]!.arguments), { p: 'pa"ss\\word' });
  });
});

describe('streamed re-hydration', () => {
  const placeholders = placeholdersFor([['EMAIL', 'jane.doe@example.com'], ['EMAIL', 'bob@example.org'], ['US_SSN', '536-22-8451']]);
  const answer = 'Hi <EMAIL_1>, cc <EMAIL_2>; ssn <US_SSN_1>. Not ours: <EMAIL_9> and a < b > c <EMAIL_1';
  const expected = 'Hi jane.doe@example.com, cc bob@example.org; ssn 536-22-8451. Not ours: <EMAIL_9> and a < b > c <EMAIL_1';

  it('restores placeholders split at every possible pair of chunk boundaries', async () => {
    let cases = 0;
    for (let i = 1; i < answer.length; i++) {
      for (let j = i; j < answer.length; j++) {
        const pieces = [answer.slice(0, i), answer.slice(i, j), answer.slice(j)].filter((p) => p !== '');
        const parts: StreamPart[] = [...pieces.map((text): StreamPart => ({ type: 'text-delta', text })), { type: 'finish', finishReason: 'stop' }];
        const out = await collect(parts, placeholders);
        assert.equal(textOf(out), expected, `cuts at ${i}, ${j}`);
        assert.deepEqual(out.at(-1), { type: 'finish', finishReason: 'stop' });
        cases++;
      }
    }
    assert.ok(cases > 3000);
  });

  it('restores one character per chunk, and never emits a broken placeholder', async () => {
    const parts: StreamPart[] = [...answer].map((text) => ({ type: 'text-delta', text }));
    const out = await collect([...parts, { type: 'usage', usage: { inputTokens: 1, outputTokens: 2 } }, { type: 'finish', finishReason: 'stop' }], placeholders);
    assert.equal(textOf(out), expected);
    for (const part of out) if (part.type === 'text-delta') assert.doesNotMatch(part.text, /<EMAIL_$|<EMA$|<US_SS$/);
    assert.deepEqual(out.slice(-2).map((p) => p.type), ['usage', 'finish']);
  });

  it('flushes held text when the stream ends without a finish part, and before other parts', async () => {
    const out = await collect([{ type: 'text-delta', text: 'to <EMA' }, { type: 'usage', usage: { inputTokens: 1, outputTokens: 1 } }, { type: 'text-delta', text: 'end <EMAIL_' }], placeholders);
    assert.deepEqual(out.map((p) => p.type), ['text-delta', 'text-delta', 'usage', 'text-delta', 'text-delta']);
    assert.equal(textOf(out), 'to <EMAend <EMAIL_');
  });

  it('restores tool-call argument deltas per call, split anywhere, as valid JSON', async () => {
    const args0 = '{"to":"<EMAIL_1>","cc":"<EMAIL_2>"}';
    const args1 = '{"ssn":"<US_SSN_1>"}';
    for (let i = 1; i < args0.length; i++) {
      const parts: StreamPart[] = [
        { type: 'tool-call-delta', index: 0, id: 'a', name: 'send', argumentsDelta: '' },
        { type: 'tool-call-delta', index: 0, argumentsDelta: args0.slice(0, i) },
        { type: 'tool-call-delta', index: 1, id: 'b', name: 'file', argumentsDelta: args1.slice(0, Math.min(i, args1.length)) },
        { type: 'tool-call-delta', index: 0, argumentsDelta: args0.slice(i) },
        { type: 'tool-call-delta', index: 1, argumentsDelta: args1.slice(Math.min(i, args1.length)) },
        { type: 'finish', finishReason: 'tool_calls' },
      ];
      const out = await collect(parts, placeholders);
      const joined = (index: number) => out.map((p) => (p.type === 'tool-call-delta' && p.index === index ? p.argumentsDelta : '')).join('');
      assert.deepEqual(JSON.parse(joined(0)), { to: 'jane.doe@example.com', cc: 'bob@example.org' }, `cut at ${i}`);
      assert.deepEqual(JSON.parse(joined(1)), { ssn: '536-22-8451' }, `cut at ${i}`);
      assert.equal(out.filter((p) => p.type === 'tool-call-delta' && p.id !== undefined).length, 2, 'ids and names pass through');
    }
  });
});
