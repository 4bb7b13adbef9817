import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sharedModel } from '../helpers/paths.ts';
import { runCli } from '../helpers/run-cli.ts';
import { toyExamples } from './toy-domains.ts';

/**
 * The embedding variant end to end: `route train --embed-model` against a portfolio model served
 * over the OpenAI-compatible wire (a local server whose embeddings are hashed bags of words), and
 * against a real local GGUF model through llama.cpp.
 */
const dimensions = 32;

function bagOfWords(text: string): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  for (const word of text.toLowerCase().split(/\W+/).filter(Boolean)) {
    let hash = 7;
    for (const ch of word) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
    vector[hash % dimensions]! += 1;
  }
  return vector;
}

const dir = mkdtempSync(path.join(tmpdir(), 'unbundle-route-embed-'));
const at = (file: string): string => path.join(dir, file);
let server: Server;
let requests = 0;

describe('unbundle route with an embedding model of the portfolio', () => {
  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        requests++;
        const input = (JSON.parse(body) as { input: string[] }).input;
        const data = input.map((text, index) => ({ object: 'embedding', index, embedding: bagOfWords(text) }));
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data, model: 'bow', usage: { prompt_tokens: 1, total_tokens: 1 } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    writeFileSync(at('portfolio.yaml'), `models:\n  - { id: bow, backend: openai-compatible, baseURL: "http://127.0.0.1:${port}/v1" }\n`);
    // A llama.cpp model makes every command load the runtime, so only the test that needs one uses it.
    writeFileSync(at('chat-only.yaml'), `models:\n  - { id: chat-only, backend: llamacpp, path: ${sharedModel('stories260K.gguf')}, embeddings: false }\n`);
    writeFileSync(at('train.jsonl'), toyExamples(80).map((e) => JSON.stringify(e)).join('\n'));
    writeFileSync(at('test.jsonl'), toyExamples(15, 42).map((e) => JSON.stringify(e)).join('\n'));
  });
  after(() => server.close());

  it('trains, tests and explains through the portfolio model', async () => {
    const trained = await runCli(['route', 'train', '--embed-model', 'bow', '--config', 'portfolio.yaml', '--data', 'train.jsonl', '--out', 'emb.json'], { cwd: dir });
    assert.equal(trained.code, 0, trained.stderr);
    assert.match(trained.stdout, /^trained an embedding classifier over "bow" \(32 dimensions\) on 240 examples in 3 domains/);
    assert.match(trained.stdout, /calibration: temperature \d+\.\d+ fitted on 24 held-out examples/);
    assert.equal(requests, 15, 'embedded in batches of 16');

    const tested = await runCli(['route', 'test', '--router', 'emb.json', '--config', 'portfolio.yaml', '--data', 'test.jsonl', '--json'], { cwd: dir });
    assert.equal(tested.code, 0, tested.stderr);
    const report = JSON.parse(tested.stdout) as { accuracy: number; examples: number };
    assert.equal(report.examples, 45);
    assert.ok(report.accuracy >= 0.9, `accuracy ${report.accuracy}`);

    const explained = await runCli(['route', 'explain', '--router', 'emb.json', '--config', 'portfolio.yaml', 'the sql query throws an exception'], { cwd: dir });
    assert.equal(explained.code, 0, explained.stderr);
    assert.match(explained.stdout, /^domain: code\n/);
    assert.match(explained.stdout, /no n-gram features to show \(an embedding router/);
  });

  it('names a model that is missing or cannot embed, and refuses --bits', async () => {
    const missing = await runCli(['route', 'train', '--embed-model', 'nope', '--config', 'portfolio.yaml', '--data', 'train.jsonl', '--out', 'x.json'], { cwd: dir });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--embed-model "nope" is not a model of .*portfolio\.yaml \(models: bow\)/);
    const chatOnly = await runCli(['route', 'train', '--embed-model', 'chat-only', '--config', 'chat-only.yaml', '--data', 'train.jsonl', '--out', 'x.json'], { cwd: dir });
    assert.equal(chatOnly.code, 2);
    assert.match(chatOnly.stderr, /Model "chat-only" in .* cannot embed/);
    const bits = await runCli(['route', 'train', '--embed-model', 'bow', '--bits', '12', '--data', 'train.jsonl', '--out', 'x.json'], { cwd: dir });
    assert.equal(bits.code, 2);
    assert.match(bits.stderr, /--bits sets the hashed n-gram classifier/);
  });

  it('works with a local GGUF model through llama.cpp', async () => {
    const model = sharedModel('stories260K.gguf');
    assert.ok(existsSync(model), `missing test model ${model}`);
    writeFileSync(at('local.yaml'), `models:\n  - { id: stories, backend: llamacpp, path: ${model}, threads: 1 }\n`);
    const trained = await runCli(['route', 'train', '--embed-model', 'stories', '--config', 'local.yaml', '--data', 'train.jsonl', '--out', 'local.json'], { cwd: dir });
    assert.equal(trained.code, 0, trained.stderr);
    assert.match(trained.stdout, /over "stories" \(64 dimensions\)/);
    const tested = await runCli(['route', 'test', '--router', 'local.json', '--config', 'local.yaml', '--data', 'test.jsonl', '--json'], { cwd: dir });
    assert.equal(tested.code, 0, tested.stderr);
    // A 260K-parameter story model is no embedding model; it must still beat chance (1/3) clearly.
    const accuracy = (JSON.parse(tested.stdout) as { accuracy: number }).accuracy;
    assert.ok(accuracy >= 0.6, `accuracy ${accuracy}`);
  });
});
