import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { StreamWriter } from '../../src/server/stream-writer.ts';

/** The raw bytes of one response, read over a plain socket so the chunked framing is visible. */
async function rawResponse(handler: (res: ServerResponse) => Promise<void>): Promise<string> {
  const server = createServer((_req, res) => void handler(res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    socket.write('GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
    let raw = '';
    socket.on('data', (chunk) => (raw += String(chunk)));
    await new Promise((resolve) => socket.on('close', resolve));
    return raw;
  } finally {
    server.close();
  }
}

const chunksOf = (raw: string) => {
  const body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
  const chunks: string[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at);
    const size = Number.parseInt(body.slice(at, lineEnd), 16);
    if (!(size > 0)) return chunks;
    chunks.push(body.slice(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
};

test('writes of one turn leave as one chunk, with the headers; later writes as the next', async () => {
  const raw = await rawResponse(async (res) => {
    res.setHeader('content-type', 'text/event-stream');
    const out = new StreamWriter(res);
    await out.write('data: a\n\n');
    await out.write('data: b\n\n');
    await out.write('data: c\n\n');
    await new Promise((resolve) => setTimeout(resolve, 30));
    await out.write('data: d\n\n');
    await new Promise((resolve) => setTimeout(resolve, 30));
    out.end('data: [DONE]\n\n');
  });
  assert.match(raw, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(raw, /transfer-encoding: chunked/i);
  assert.deepEqual(chunksOf(raw), ['data: a\n\ndata: b\n\ndata: c\n\n', 'data: d\n\n', 'data: [DONE]\n\n']);
});

test('sendNow sends what is queued at once; end sends the rest with the last chunk', async () => {
  const raw = await rawResponse(async (res) => {
    const out = new StreamWriter(res);
    await out.write('one ');
    out.sendNow();
    await out.write('two ');
    out.end('three');
  });
  assert.deepEqual(chunksOf(raw), ['one ', 'two three']);
});

test('a whole answer that fits in one turn is one plain response with a length', async () => {
  const raw = await rawResponse(async (res) => {
    const out = new StreamWriter(res);
    await out.write('data: a\n\n');
    out.end('data: [DONE]\n\n');
  });
  assert.match(raw, /content-length: 23/i);
  assert.ok(raw.endsWith('\r\n\r\ndata: a\n\ndata: [DONE]\n\n'));
});

test('writes after the client has gone are dropped, never thrown', async () => {
  let outcome: unknown = 'handler did not run';
  await rawResponse(async (res) => {
    try {
      const out = new StreamWriter(res);
      res.destroy();
      await out.write('late');
      out.sendNow();
      out.end('later');
      outcome = res.writableEnded ? 'ended a destroyed response' : 'dropped';
    } catch (error) {
      outcome = error;
    }
  }).catch(() => undefined);
  assert.equal(outcome, 'dropped');
});

test('with nothing to send yet, the headers still leave at the end of the turn and on sendNow', async () => {
  let sentAfterTurn: boolean | undefined;
  let sentAfterSendNow: boolean | undefined;
  await rawResponse(async (res) => {
    const out = new StreamWriter(res);
    await out.write('');
    await new Promise((resolve) => setImmediate(resolve));
    sentAfterTurn = res.headersSent;
    end(out);
  });
  await rawResponse(async (res) => {
    const out = new StreamWriter(res);
    out.sendNow();
    sentAfterSendNow = res.headersSent;
    end(out);
  });
  assert.equal(sentAfterTurn, true);
  assert.equal(sentAfterSendNow, true);
});

function end(out: StreamWriter): void {
  out.end('data: [DONE]\n\n');
}

test('a client that stops reading makes write() return a promise that waits for it; nothing is lost or reordered', async () => {
  const part = 'x'.repeat(64 * 1024);
  let promised = 0;
  let written = 0;
  const server = createServer((_req, res) => {
    void (async () => {
      const out = new StreamWriter(res);
      // Each part goes out on its own turn (setImmediate), so the socket's buffer fills up.
      for (let i = 0; i < 200; i++) {
        const wait = out.write(`${String(i).padStart(4, '0')}${part}`);
        if (wait !== undefined) {
          promised++;
          await wait;
        } else await new Promise((resolve) => setImmediate(resolve));
        written++;
      }
      out.end('end');
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    socket.write('GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
    socket.pause();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(written < 200, `the writer waits for a client that does not read (wrote ${written} of 200 parts)`);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.resume();
    await new Promise((resolve) => socket.on('close', resolve));
    const body = chunksOf(Buffer.concat(chunks).toString('latin1')).join('');
    assert.equal(body.length, 200 * (4 + part.length) + 3);
    for (let i = 0; i < 200; i += 37) assert.equal(body.slice(i * (4 + part.length), i * (4 + part.length) + 4), String(i).padStart(4, '0'));
    assert.ok(body.endsWith('end'));
    assert.ok(promised > 0, 'write() returned a promise while the client was not reading');
  } finally {
    server.close();
  }
});
