import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SseParser, encodeSseComment, encodeSseData, encodeSseEvent } from '../../../src/backends/sse.ts';
import type { SseEvent } from '../../../src/backends/sse.ts';

// Mixed line endings, a comment, multi-line data, named events, ids, retry, multi-byte UTF-8
// (2, 3 and 4 bytes) and a field without a colon: every rule the parser has, in one sample.
const sample =
  '\uFEFF: this is a comment\n' +
  'data: {"choices":[{"delta":{"content":"Héllo"}}]}\n\n' +
  'event: update\r\n' +
  'id: 42\r\n' +
  'data: first line\r\n' +
  'data: second line — 漢字 🎉\r\n\r\n' +
  'data:no-space\r\r' +
  'retry: 1500\n' +
  'data\n' +
  'unknown-field: ignored\n' +
  'data:  two spaces\n\n' +
  'event: empty\n\n' +
  'data: [DONE]\n\n';

const expected: SseEvent[] = [
  { data: '{"choices":[{"delta":{"content":"Héllo"}}]}' },
  { event: 'update', id: '42', data: 'first line\nsecond line — 漢字 🎉' },
  { id: '42', data: 'no-space' },
  { id: '42', retry: 1500, data: '\n two spaces' },
  { id: '42', data: '[DONE]' },
];

function parseChunks(chunks: Uint8Array[]): SseEvent[] {
  const parser = new SseParser();
  const events: SseEvent[] = [];
  for (const chunk of chunks) events.push(...parser.push(chunk));
  events.push(...parser.end());
  return events;
}

const bytes = Buffer.from(sample, 'utf8');

describe('SseParser', () => {
  it('parses the sample in one chunk', () => {
    assert.deepEqual(parseChunks([bytes]), expected);
  });

  it('gives the same events for every single split point (mid-line, mid-UTF-8, mid-CRLF)', () => {
    for (let i = 0; i <= bytes.length; i++) {
      assert.deepEqual(parseChunks([bytes.subarray(0, i), bytes.subarray(i)]), expected, `split at byte ${i}`);
    }
  });

  it('gives the same events for every pair of split points', () => {
    const step = 3; // all pairs would be ~50k parses; every third start still crosses each boundary kind
    for (let i = 0; i <= bytes.length; i += step) {
      for (let j = i; j <= bytes.length; j++) {
        const chunks = [bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)];
        assert.deepEqual(parseChunks(chunks), expected, `split at bytes ${i} and ${j}`);
      }
    }
  });

  it('gives the same events fed one byte at a time', () => {
    const chunks = Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
    assert.deepEqual(parseChunks(chunks), expected);
  });

  it('delivers an event as soon as its blank line arrives, not at the end', () => {
    const parser = new SseParser();
    assert.deepEqual(parser.push(Buffer.from('data: a\n')), []);
    assert.deepEqual(parser.push(Buffer.from('\ndata: b')), [{ data: 'a' }]);
    assert.deepEqual(parser.push(Buffer.from('\n\n')), [{ data: 'b' }]);
  });

  it('does not dispatch an extra event when a CR ends one chunk and its LF starts the next', () => {
    const parser = new SseParser();
    assert.deepEqual(parser.push(Buffer.from('data: a\r')), []);
    assert.deepEqual(parser.push(Buffer.from('\ndata: b\r\n\r')), [{ data: 'a\nb' }]);
    assert.deepEqual(parser.push(Buffer.from('\n')), []);
    assert.deepEqual(parser.end(), []);
  });

  it('keeps a CR pending across an empty chunk', () => {
    const parser = new SseParser();
    parser.push(Buffer.from('data: a\r'));
    parser.push(Buffer.alloc(0));
    assert.deepEqual(parser.push(Buffer.from('\n\n')), [{ data: 'a' }]);
  });

  it('at the end, completes a last line and event that lack their terminators', () => {
    const parser = new SseParser();
    assert.deepEqual(parser.push(Buffer.from('data: x\n\ndata: [DONE]')), [{ data: 'x' }]);
    assert.deepEqual(parser.end(), [{ data: '[DONE]' }]);
  });

  it('ignores comments and events with no data', () => {
    assert.deepEqual(parseChunks([Buffer.from(': ping\n\nevent: x\n\n:\n\n')]), []);
  });

  it('reassembles a 2 MB line that arrives in 1 KiB pieces, whatever its terminator, and one left open at the end', () => {
    const payload = 'é'.repeat(1_000_000);
    for (const terminator of ['\n\n', '\r\n\r\n', '\r\r']) {
      const wire = Buffer.from(`data: ${payload}${terminator}data: next${terminator}`);
      const parser = new SseParser();
      const events: SseEvent[] = [];
      for (let at = 0; at < wire.length; at += 1024) events.push(...parser.push(wire.subarray(at, at + 1024)));
      events.push(...parser.end());
      assert.deepEqual(events.map((event) => event.data.length), [payload.length, 4], JSON.stringify(terminator));
      assert.equal(events[0]!.data, payload);
    }
    const open = new SseParser();
    const wire = Buffer.from(`data: ${payload}`);
    for (let at = 0; at < wire.length; at += 1024) assert.deepEqual(open.push(wire.subarray(at, at + 1024)), []);
    assert.equal(open.end()[0]!.data, payload);
  });

  it('accepts strings as well as bytes', () => {
    const parser = new SseParser();
    assert.deepEqual(parser.push('data: é\n\n'), [{ data: 'é' }]);
  });
});

describe('SSE encoder', () => {
  it('round-trips through the parser, including multi-line data', () => {
    const events: SseEvent[] = [
      { data: '{"a":1}' },
      { event: 'error', data: 'line 1\nline 2\r\nline 3' },
      { id: '7', retry: 10, data: '' },
    ];
    const wire = events.map(encodeSseEvent).join('');
    assert.equal(encodeSseData('{"a":1}'), 'data: {"a":1}\n\n');
    assert.deepEqual(parseChunks([Buffer.from(wire)]), [
      { data: '{"a":1}' },
      { event: 'error', data: 'line 1\nline 2\nline 3' },
      { id: '7', retry: 10, data: '' },
    ]);
  });

  it('writes comments that parsers ignore, even with line breaks inside', () => {
    assert.equal(encodeSseComment('keep-alive'), ': keep-alive\n\n');
    assert.equal(encodeSseComment(), ':\n\n');
    assert.deepEqual(parseChunks([Buffer.from(encodeSseComment('a\ndata: b'))]), []);
  });
});
