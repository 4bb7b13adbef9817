import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import OpenAI from 'openai';
import { trainEmbeddingClassifier } from '../../src/router/classifier/embedding-classifier.ts';
import { saveRouter } from '../../src/router/classifier/router-file.ts';
import { startFakeOpenAIUpstream, type FakeOpenAIUpstream } from '../fakes/fake-openai-upstream.ts';
import { startGatewayFromConfig, type StartedGateway } from '../helpers/start-gateway.ts';
import { toyExamples } from './toy-domains.ts';

/** An embedding server whose vectors are hashed bags of words: enough to separate the toy domains. */
function bagOfWords(text: string): number[] {
  const vector = new Array<number>(64).fill(0);
  for (const word of text.toLowerCase().split(/\W+/).filter(Boolean)) {
    let hash = 7;
    for (const ch of word) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
    vector[hash % 64]! += 1;
  }
  return vector;
}

let embedServer: Server;
let embedded: string[] = [];
let upstream: FakeOpenAIUpstream;
let started: StartedGateway;

before(async () => {
  embedServer = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const input = (JSON.parse(body) as { input: string[] }).input;
      embedded.push(...input);
      const data = input.map((text, index) => ({ object: 'embedding', index, embedding: bagOfWords(text) }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data, model: 'bow', usage: { prompt_tokens: 1, total_tokens: 1 } }));
    });
  });
  await new Promise<void>((resolve) => embedServer.listen(0, '127.0.0.1', resolve));
  const embedURL = `http://127.0.0.1:${(embedServer.address() as AddressInfo).port}/v1`;
  const examples = toyExamples(60);
  const classifier = trainEmbeddingClassifier(examples, examples.map((e) => Float32Array.from(bagOfWords(e.text))), { embedModel: 'bow' });
  const routerFile = path.join(mkdtempSync(path.join(tmpdir(), 'unbundle-auto-embed-')), 'router.json');
  saveRouter(classifier, routerFile);
  upstream = await startFakeOpenAIUpstream();
  started = await startGatewayFromConfig({
    models: [
      { id: 'bow', backend: 'openai-compatible', baseURL: embedURL },
      { id: 'billing-desk', backend: 'openai-compatible', baseURL: upstream.url, domains: ['billing'] },
      { id: 'kitchen', backend: 'openai-compatible', baseURL: upstream.url, domains: ['cooking'] },
    ],
    router: { classifier: routerFile, default: 'billing-desk' },
  });
});
after(async () => {
  await started?.close();
  await upstream?.close();
  embedServer?.close();
});

it('with an embedding router the server embeds the last user message first, then routes on it', async () => {
  embedded = [];
  const client = new OpenAI({ baseURL: `${started.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  const { response } = await client.chat.completions
    .create({ model: 'auto', messages: [{ role: 'user', content: 'Why the roast chicken comes out dry after simmering?' }], max_tokens: 4 })
    .withResponse();
  assert.deepEqual(embedded, ['Why the roast chicken comes out dry after simmering?']);
  assert.equal(response.headers.get('x-unbundle-route'), 'kitchen');
  assert.equal(response.headers.get('x-unbundle-domain'), 'cooking');
  // Explicit models never embed.
  await client.chat.completions.create({ model: 'kitchen', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 });
  assert.equal(embedded.length, 1);
});
