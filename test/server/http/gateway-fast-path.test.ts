import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startFakeOpenAIUpstream, type FakeOpenAIUpstream } from '../../fakes/fake-openai-upstream.ts';
import { startGatewayFromConfig, type StartedGateway } from '../../helpers/start-gateway.ts';

/** Sends raw bytes and resolves with everything the server sent before it closed the connection. */
function raw(url: string, bytes: string): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(bytes));
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString('latin1')));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
    setTimeout(() => socket.destroy(), 3_000);
  });
}

const chatBody = JSON.stringify({ model: 'upstream', messages: [{ role: 'user', content: 'hi' }] });

// The same SDK traffic with the fast path on (the default) and off: both must answer alike.
for (const fastHttp of [true, false]) {
  describe(`gateway with server.fastHttp: ${fastHttp}: the official SDKs, chunked uploads`, () => {
    let upstream: FakeOpenAIUpstream;
    let started: StartedGateway;
    let openai: OpenAI;

    before(async () => {
      upstream = await startFakeOpenAIUpstream();
      started = await startGatewayFromConfig({ server: { fastHttp }, models: [{ id: 'upstream', backend: 'openai-compatible', baseURL: upstream.url, model: 'gpt-4o-mini' }] });
      openai = new OpenAI({ baseURL: `${started.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    });
    after(async () => {
      await started.close();
      await upstream.close();
    });

    it(fastHttp ? 'serves the openai client on the fast path' : 'has no fast path', async () => {
      const chat = await openai.chat.completions.create({ model: 'upstream', messages: [{ role: 'user', content: 'Say hello.' }] });
      assert.ok(chat.choices[0]!.message.content!.length > 0);
      // The client keeps its connection: on the fast path it is one of the fast server's.
      assert.equal(started.gateway.http1?.size ?? 0, fastHttp ? 1 : 0);
      assert.equal(started.gateway.http1 === undefined, !fastHttp);
    });

    it('streams to the openai client with usage, and maps an unknown model to 404', async () => {
      const stream = await openai.chat.completions.create({ model: 'upstream', messages: [{ role: 'user', content: 'Say hello.' }], stream: true, stream_options: { include_usage: true } });
      let text = '';
      let usage: OpenAI.CompletionUsage | undefined;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        if (chunk.usage) usage = chunk.usage;
      }
      assert.ok(text.length > 0);
      assert.ok(usage !== undefined && usage.completion_tokens > 0);
      await assert.rejects(openai.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }), (error: unknown) => error instanceof OpenAI.NotFoundError);
    });

    it('answers the anthropic client on /v1/messages', async () => {
      const anthropic = new Anthropic({ baseURL: started.url, apiKey: 'unused', maxRetries: 0 });
      const message = await anthropic.messages.create({ model: 'upstream', max_tokens: 32, messages: [{ role: 'user', content: 'Say hello.' }] });
      assert.equal(message.type, 'message');
      assert.ok(message.content.length > 0);
    });

    it('answers a chunked upload, then a plain request on the same connection, then closes as asked', async () => {
      const chunked = `${chatBody.length.toString(16)}\r\n${chatBody}\r\n0\r\n\r\n`;
      const text = await raw(started.url, `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n${chunked}POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${chatBody.length}\r\nconnection: close\r\n\r\n${chatBody}`);
      assert.equal(text.split('HTTP/1.1 200 OK\r\n').length - 1, 2, text);
      assert.equal(text.split('"object":"chat.completion"').length - 1, 2);
    });

    it('gives a request id to every answer, and keeps a sane one the client sent', async () => {
      const text = await raw(started.url, `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nx-request-id: trace-123\r\ncontent-length: ${chatBody.length}\r\nconnection: close\r\n\r\n${chatBody}`);
      assert.match(text, /\r\nx-request-id: trace-123\r\n/i);
      assert.match(text, /\r\nx-unbundle-model: upstream\r\n/i);
    });
  });
}
