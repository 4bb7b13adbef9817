import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Http1Error } from '../../../src/backends/http/http1-error.ts';
import { Http1ResponseParser, type ResponseHead } from '../../../src/backends/http/http1-response-parser.ts';

/** Collects what the parser delivers. */
class Recorder {
  heads: ResponseHead[] = [];
  body = '';
  trailers: string[][] = [];
  readonly parser = new Http1ResponseParser(
    {
      onHead: (head) => this.heads.push(head),
      onBody: (chunk) => (this.body += chunk.toString('latin1')),
      onComplete: (trailers) => this.trailers.push(trailers),
    },
    1024,
  );
  get complete(): boolean {
    return this.trailers.length > 0;
  }
}

/** Feeds `wire` whole, returning what was consumed. */
function whole(wire: string): { recorder: Recorder; consumed: number } {
  const recorder = new Recorder();
  const consumed = recorder.parser.execute(Buffer.from(wire, 'latin1'));
  return { recorder, consumed };
}

/** Feeds `wire` one byte at a time (every split point a read can have). */
function byteByByte(wire: string): Recorder {
  const recorder = new Recorder();
  const bytes = Buffer.from(wire, 'latin1');
  for (let i = 0; i < bytes.length && !recorder.complete; i++) recorder.parser.execute(bytes.subarray(i, i + 1));
  return recorder;
}

const lengthAnswer = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\nX-Spaced:   padded value  \r\n\r\n{"a":"bcd"}';
const chunkedAnswer = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n1\r\n \r\n6\r\nworld!\r\n0\r\nX-Checksum: abc\r\n\r\n';
const interimThenAnswer = 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok';

test('a Content-Length answer: status, reason, raw headers as sent (values trimmed), body, completion', () => {
  const { recorder, consumed } = whole(lengthAnswer);
  assert.equal(consumed, Buffer.byteLength(lengthAnswer, 'latin1'));
  assert.equal(recorder.heads.length, 1);
  const head = recorder.heads[0]!;
  assert.equal(head.status, 200);
  assert.equal(head.statusText, 'OK');
  assert.deepEqual(head.rawHeaders, ['Content-Type', 'application/json', 'Content-Length', '11', 'X-Spaced', 'padded value']);
  assert.equal(head.keepAlive, true);
  assert.equal(recorder.body, '{"a":"bcd"}');
  assert.deepEqual(recorder.trailers, [[]]);
});

test('chunked: extensions ignored, data joined, trailers delivered', () => {
  const { recorder, consumed } = whole(chunkedAnswer);
  assert.equal(consumed, chunkedAnswer.length);
  assert.equal(recorder.body, 'hello world!');
  assert.deepEqual(recorder.trailers, [['X-Checksum', 'abc']]);
  assert.equal(recorder.heads[0]!.keepAlive, true);
});

test('1xx interim answers are skipped; only the final head reaches the sink', () => {
  const { recorder } = whole(interimThenAnswer);
  assert.deepEqual(recorder.heads.map((head) => head.status), [201]);
  assert.equal(recorder.body, 'ok');
});

test('every split point gives the same result as one read', () => {
  for (const wire of [lengthAnswer, chunkedAnswer, interimThenAnswer]) {
    const one = whole(wire).recorder;
    const split = byteByByte(wire);
    assert.deepEqual(split.heads, one.heads, wire);
    assert.equal(split.body, one.body, wire);
    assert.deepEqual(split.trailers, one.trailers, wire);
  }
});

test('204 and 304 have no body; bytes after a complete answer are left unconsumed', () => {
  const wire = 'HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\n';
  const { recorder, consumed } = whole(wire);
  assert.equal(recorder.heads[0]!.status, 204);
  assert.ok(recorder.complete);
  assert.equal(consumed, 'HTTP/1.1 204 No Content\r\n\r\n'.length);
  const extra = whole('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokGARBAGE');
  assert.equal(extra.consumed, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'.length);
  assert.equal(extra.recorder.body, 'ok');
});

test('no length and not chunked: the body runs to the end of the connection, which is not kept', () => {
  const { recorder } = whole('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\npart one, ');
  recorder.parser.execute(Buffer.from('part two'));
  assert.equal(recorder.parser.closeDelimited, true);
  assert.equal(recorder.complete, false);
  recorder.parser.end();
  assert.equal(recorder.body, 'part one, part two');
  assert.equal(recorder.heads[0]!.keepAlive, false);
  assert.ok(recorder.complete);
});

test('keep-alive: HTTP/1.1 unless Connection: close; HTTP/1.0 only with Connection: keep-alive; the Keep-Alive timeout hint', () => {
  const cases: Array<[string, boolean, number | undefined]> = [
    ['HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', true, undefined],
    ['HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', false, undefined],
    ['HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n', false, undefined],
    ['HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nKeep-Alive: timeout=5, max=100\r\nContent-Length: 0\r\n\r\n', true, 5000],
    ['HTTP/1.1 200 OK\r\nKeep-Alive: max=3, timeout=30\r\nContent-Length: 0\r\n\r\n', true, 30000],
    // Transfer-Encoding and Content-Length together: the encoding wins and the connection is not reused.
    ['HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', false, undefined],
    // Nor is an HTTP/1.0 connection that sent Transfer-Encoding, whatever it says about keep-alive.
    ['HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', false, undefined],
  ];
  for (const [wire, keepAlive, hint] of cases) {
    const { recorder } = whole(wire);
    assert.ok(recorder.complete, wire);
    assert.equal(recorder.heads[0]!.keepAlive, keepAlive, wire);
    assert.equal(recorder.heads[0]!.keepAliveHintMs, hint, wire);
  }
});

test('a repeated Content-Length with one value is one length', () => {
  const { recorder } = whole('HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nok');
  assert.equal(recorder.body, 'ok');
});

test('what cannot be framed safely is an HTTP1_BAD_RESPONSE naming the fault', () => {
  const cases: Array<[string, RegExp]> = [
    ['HTTP/2 200 OK\r\n\r\n', /status line "HTTP\/2 200 OK" is not "HTTP\/1.x NNN reason"/],
    ['HTTP/1.1 20 OK\r\n\r\n', /status line/],
    ['HTTP/1.1 1e2 OK\r\n\r\n', /status line/],
    ['ICY 200 OK\r\n\r\n', /status line/],
    ['HTTP/1.1 200 OK\r\nno colon here\r\n\r\n', /header line "no colon here" has no name/],
    ['HTTP/1.1 200 OK\r\nX-A: 1\r\n  folded\r\n\r\n', /folded over two lines/],
    ['HTTP/1.1 200 OK\r\nBad Name: 1\r\n\r\n', /header name "Bad Name" is not a token/],
    ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok', /two different Content-Lengths/],
    ['HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', /Content-Length "-1" is not a number/],
    ['HTTP/1.1 200 OK\r\nContent-Length: \xa02\r\n\r\n', /Content-Length "\xa02" is not a number/],
    ['HTTP/1.1 200 OK\nContent-Length: 2\n\nok', /ends its lines with LF alone/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /chunk size "zz" is not a hexadecimal number/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokX', /chunk is not followed by CRLF/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\nok\r\n', /chunk-size line does not end with CRLF/],
    ['HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n', /switched protocols/],
    [`HTTP/1.1 200 OK\r\nX-Big: ${'x'.repeat(2000)}\r\n\r\n`, /head is larger than 1024 bytes/],
    [`HTTP/1.1 200 OK\r\nX-Big: ${'x'.repeat(2000)}`, /head is larger than 1024 bytes/],
  ];
  for (const [wire, message] of cases) {
    assert.throws(
      () => whole(wire),
      (error: unknown) => error instanceof Http1Error && error.code === 'HTTP1_BAD_RESPONSE' && message.test(error.message) && error.message.startsWith('the upstream sent an invalid HTTP answer: '),
      wire.slice(0, 60),
    );
  }
});

test('an answer cut short by the end of the connection says how', () => {
  const short = whole('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc').recorder;
  assert.throws(() => short.parser.end(), (error: unknown) => error instanceof Http1Error && error.code === 'HTTP1_LENGTH_MISMATCH' && /7 bytes short/.test(error.message));
  const midChunk = whole('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel').recorder;
  assert.throws(() => midChunk.parser.end(), (error: unknown) => error instanceof Http1Error && error.code === 'HTTP1_SOCKET_CLOSED' && /chunked/.test(error.message));
  const midHead = whole('HTTP/1.1 200 OK\r\nContent-').recorder;
  assert.throws(() => midHead.parser.end(), (error: unknown) => error instanceof Http1Error && error.code === 'HTTP1_SOCKET_CLOSED');
});

test('reset() readies the parser for the next answer on the same connection', () => {
  const recorder = new Recorder();
  recorder.parser.execute(Buffer.from(lengthAnswer, 'latin1'));
  recorder.parser.reset();
  recorder.parser.execute(Buffer.from(chunkedAnswer, 'latin1'));
  assert.equal(recorder.heads.length, 2);
  assert.equal(recorder.body, '{"a":"bcd"}hello world!');
});
