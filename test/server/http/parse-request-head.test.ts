import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { incomplete, parseRequestHead, type RequestHead } from '../../../src/server/http/parse-request-head.ts';

const limit = 16 * 1024;
const parse = (text: string) => parseRequestHead(Buffer.from(text, 'latin1'), limit);

function parsed(text: string): RequestHead {
  const result = parse(text);
  assert.ok(typeof result === 'object' && !('handOff' in result), `expected a parsed head, got ${JSON.stringify(result)}`);
  return result;
}

describe('parseRequestHead', () => {
  it('reads the request line, headers (lower-cased, values trimmed), Content-Length and the head length', () => {
    const text = 'POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: a\r\nContent-Type:  application/json \t\r\nContent-Length: 12\r\nX-Empty:\r\n\r\n{"model":""}';
    const head = parsed(text);
    assert.equal(head.method, 'POST');
    assert.equal(head.url, '/v1/chat/completions?x=1');
    assert.deepEqual(head.rawHeaders, ['Host', 'a', 'Content-Type', 'application/json', 'Content-Length', '12', 'X-Empty', '']);
    assert.deepEqual({ ...head.headers }, { host: 'a', 'content-type': 'application/json', 'content-length': '12', 'x-empty': '' });
    assert.equal(head.contentLength, 12);
    assert.equal(head.keepAlive, true);
    assert.equal(head.headLength, text.length - 12);
  });

  it('Connection: close (among other options) ends keep-alive; keep-alive and other options do not', () => {
    assert.equal(parsed('GET / HTTP/1.1\r\nhost: a\r\nconnection: TE, Close\r\n\r\n').keepAlive, false);
    assert.equal(parsed('GET / HTTP/1.1\r\nhost: a\r\nconnection: keep-alive\r\n\r\n').keepAlive, true);
    assert.equal(parsed('GET / HTTP/1.1\r\nhost: a\r\nconnection: closed\r\n\r\n').keepAlive, true);
  });

  it('merges a repeated header as node does: joined with ", ", cookies with "; ", the first kept for user-agent and its kind', () => {
    const head = parsed('GET / HTTP/1.1\r\nhost: a\r\naccept: a/b\r\nAccept: c/d\r\ncookie: x=1\r\ncookie: y=2\r\nuser-agent: one\r\nUser-Agent: two\r\nauthorization: Bearer 1\r\nauthorization: Bearer 2\r\nconnection: keep-alive\r\nconnection: close\r\n\r\n');
    assert.deepEqual({ ...head.headers }, { host: 'a', accept: 'a/b, c/d', cookie: 'x=1; y=2', 'user-agent': 'one', authorization: 'Bearer 1', connection: 'keep-alive, close' });
    assert.equal(head.rawHeaders.length, 22);
    assert.equal(head.keepAlive, false);
  });

  it('waits while the head is incomplete, however it is split', () => {
    const text = 'GET /health HTTP/1.1\r\nhost: a\r\n\r\n';
    for (let cut = 0; cut < text.length; cut++) assert.equal(parse(text.slice(0, cut)), incomplete, `cut at ${cut}`);
    assert.equal(parsed(text).headLength, text.length);
  });

  it('header values keep latin1 bytes past ASCII as node does', () => {
    assert.equal(parsed('GET / HTTP/1.1\r\nhost: a\r\nx-name: caf\xe9\r\n\r\n').headers['x-name'], 'caf\xe9');
  });

  const handedOff: Array<[string, string, RegExp]> = [
    ['HTTP/1.0', 'GET / HTTP/1.0\r\nhost: a\r\n\r\n', /not HTTP\/1\.1/],
    ['HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', /method PRI/],
    ['an unknown method', 'PROPFIND / HTTP/1.1\r\nhost: a\r\n\r\n', /method PROPFIND/],
    ['a lower-case method', 'get / HTTP/1.1\r\nhost: a\r\n\r\n', /method get/],
    ['CONNECT', 'CONNECT a:443 HTTP/1.1\r\nhost: a\r\n\r\n', /method CONNECT/],
    ['an absolute-form target', 'GET http://a/ HTTP/1.1\r\nhost: a\r\n\r\n', /origin form/],
    ['a raw UTF-8 target', 'GET /caf\xc3\xa9 HTTP/1.1\r\nhost: a\r\n\r\n', /origin form/],
    ['a request line with an extra space', 'GET / x HTTP/1.1\r\nhost: a\r\n\r\n', /not HTTP\/1\.1/],
    ['a request line with no version', 'GET /\r\nhost: a b\r\n\r\n', /request line/],
    ['no Host', 'GET / HTTP/1.1\r\naccept: */*\r\n\r\n', /no host/],
    ['Transfer-Encoding', 'POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n', /transfer-encoding/],
    ['Transfer-Encoding beside Content-Length', 'POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n', /transfer-encoding/],
    ['Expect: 100-continue', 'POST / HTTP/1.1\r\nhost: a\r\nexpect: 100-continue\r\ncontent-length: 3\r\n\r\n', /expect/],
    ['Upgrade', 'GET / HTTP/1.1\r\nhost: a\r\nupgrade: websocket\r\n\r\n', /upgrade/],
    ['Connection: upgrade', 'GET / HTTP/1.1\r\nhost: a\r\nconnection: Upgrade\r\n\r\n', /upgrade/],
    ['two Content-Lengths', 'POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 3\r\nContent-Length: 3\r\n\r\n', /repeated header content-length/],
    ['a repeated Host', 'GET / HTTP/1.1\r\nhost: a\r\nHost: b\r\n\r\n', /repeated header host/],
    ['a header named like an Object.prototype member', 'GET / HTTP/1.1\r\nhost: a\r\nconstructor: 1\r\n\r\n', /repeated header constructor/],
    ['a second Connection asking for an upgrade', 'GET / HTTP/1.1\r\nhost: a\r\nconnection: keep-alive\r\nconnection: upgrade\r\n\r\n', /upgrade/],
    ['a signed Content-Length', 'POST / HTTP/1.1\r\nhost: a\r\ncontent-length: +3\r\n\r\n', /content-length/],
    ['a Content-Length list', 'POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 3, 3\r\n\r\n', /content-length/],
    ['obs-fold', 'GET / HTTP/1.1\r\nhost: a\r\nx-a: 1\r\n  more\r\n\r\n', /obs-fold/],
    ['a space before the colon', 'GET / HTTP/1.1\r\nhost: a\r\nx-a : 1\r\n\r\n', /malformed/],
    ['a bare LF inside the head', 'GET / HTTP/1.1\r\nhost: a\nx-a: 1\r\n\r\n', /malformed/],
    ['a bare CR inside a value', 'GET / HTTP/1.1\r\nhost: a\rb\r\n\r\n', /malformed/],
    ['a NUL in a value', 'GET / HTTP/1.1\r\nhost: a\0\r\n\r\n', /malformed/],
    ['a line without a colon', 'GET / HTTP/1.1\r\nhost: a\r\nnocolon\r\n\r\n', /colon/],
    ['a __proto__ header twice', 'GET / HTTP/1.1\r\nhost: a\r\n__proto__: 1\r\n__proto__: 2\r\n\r\n', /repeated/],
  ];
  for (const [what, text, reason] of handedOff) {
    it(`hands node ${what}`, () => {
      const result = parse(text);
      assert.ok(typeof result === 'object' && 'handOff' in result, `expected a hand-off, got ${JSON.stringify(result)}`);
      assert.match(result.handOff, reason);
    });
  }

  it('hands node a head over the limit, complete or not', () => {
    const big = `GET / HTTP/1.1\r\nhost: a\r\nx-big: ${'a'.repeat(limit)}`;
    assert.deepEqual(parse(big), { handOff: 'head over the size limit' });
    assert.deepEqual(parse(`${big}\r\n\r\n`), { handOff: 'head over the size limit' });
  });
});
