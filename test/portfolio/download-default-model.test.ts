import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { isUnbundleError } from '../../src/errors.ts';
import { defaultModel, ensureLocalModels, modelDirFrom } from '../../src/portfolio/download-default-model.ts';
import { sharedModel } from '../backends/llamacpp/test-models.ts';

/**
 * The real download code (node-llama-cpp's resolver and downloader) against a local HTTP server
 * that plays the Hugging Face hub, serving a tiny GGUF under the default model's URL.
 */
const servedFile = sharedModel('stories260K.gguf');
const hubPath = '/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/qwen2.5-0.5b-instruct-q4_k_m.gguf';
let server: http.Server;
let hub: string;
let requests: string[] = [];
let tmp: string;

function serveFile(request: http.IncomingMessage, response: http.ServerResponse, file: string): void {
  const size = statSync(file).size;
  const range = /bytes=(\d+)-(\d*)/.exec(request.headers.range ?? '');
  const start = range ? Number(range[1]) : 0;
  const end = range && range[2] ? Number(range[2]) : size - 1;
  const headers = { 'content-length': end - start + 1, 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream' };
  response.writeHead(range ? 206 : 200, range ? { ...headers, 'content-range': `bytes ${start}-${end}/${size}` } : headers);
  if (request.method === 'HEAD') return void response.end();
  createReadStream(file, { start, end }).pipe(response);
}

before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'unbundle-download-'));
  server = http.createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    const url = new URL(request.url ?? '/', 'http://hub');
    if (url.pathname === hubPath) return serveFile(request, response, servedFile);
    if (url.pathname === '/html/resolve/main/page.gguf') return void response.writeHead(200, { 'content-type': 'text/html' }).end('<html>sign in</html>');
    if (url.pathname.startsWith('/private/')) return void response.writeHead(401).end('unauthorized');
    response.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hub = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(tmp, { recursive: true, force: true });
});

function io() {
  const stderr = new PassThrough();
  let text = '';
  stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stderr, text: () => text };
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

test('an empty model folder gets the default model from the hub, with progress on stderr', async () => {
  requests = [];
  const dir = path.join(tmp, 'fresh', 'models');
  const { stderr, text } = io();
  const models = await ensureLocalModels(dir, { env: { HF_ENDPOINT: hub }, stderr });
  const file = path.join(dir, 'qwen2.5-0.5b-instruct-q4_k_m.gguf');
  assert.deepEqual(models, [{ id: 'qwen2.5-0.5b-instruct-q4_k_m', backend: 'llamacpp', path: file }]);
  assert.equal(sha(file), sha(servedFile));
  assert.deepEqual(readdirSync(dir), ['qwen2.5-0.5b-instruct-q4_k_m.gguf'], 'no temporary files left behind');
  assert.match(text(), /Downloading qwen2\.5-0\.5b-instruct-q4_k_m\.gguf: 100% \(1\.1 \/ 1\.1 MiB\)/);
  assert.ok(text().includes(`saved ${file}`));
  assert.ok(requests.every((line) => line.includes(hubPath)), requests.join('\n'));

  // A second start finds the file and never asks the hub again.
  requests = [];
  const again = await ensureLocalModels(dir, { env: { HF_ENDPOINT: hub }, stderr: io().stderr });
  assert.deepEqual(again, models);
  assert.deepEqual(requests, []);
});

test('on a terminal the progress is one redrawn bar', async () => {
  const dir = path.join(tmp, 'tty', 'models');
  const { stderr, text } = io();
  Object.assign(stderr, { isTTY: true });
  await ensureLocalModels(dir, { env: { HF_ENDPOINT: hub }, stderr });
  assert.match(text(), /\r\[#{30}\] Downloading qwen2\.5-0\.5b-instruct-q4_k_m\.gguf: 100% \(1\.1 \/ 1\.1 MiB\)\n/);
  assert.ok(!/Downloading[^\r]*\n[^\r]*Downloading/.test(text()), 'no line per update on a terminal');
});

test('an UNBUNDLE_DEFAULT_MODEL that is neither hf: nor https is a config error', async () => {
  const dir = mkdtempSync(path.join(tmp, 'bad-uri-'));
  await assert.rejects(ensureLocalModels(dir, { env: { UNBUNDLE_DEFAULT_MODEL: 'ftp://x/y.gguf' }, stderr: io().stderr }), {
    code: 'UNBUNDLE_E_CONFIG',
    message: /UNBUNDLE_DEFAULT_MODEL must be an hf:/,
  });
});

test('a folder that already holds a model is used as it is', async () => {
  requests = [];
  const dir = path.join(tmp, 'has-model');
  mkdirSync(dir);
  copyFileSync(servedFile, path.join(dir, 'my model.gguf'));
  copyFileSync(sharedModel('stories260K-random-lora.gguf'), path.join(dir, 'adapter.gguf'));
  const { stderr, text } = io();
  const models = await ensureLocalModels(dir, { env: { HF_ENDPOINT: hub }, stderr });
  assert.deepEqual(models, [{ id: 'my-model', backend: 'llamacpp', path: path.join(dir, 'my model.gguf') }]);
  assert.match(text(), /skipping .*adapter\.gguf: it is a LoRA adapter/);
  assert.deepEqual(requests, []);
});

async function downloadError(env: NodeJS.ProcessEnv) {
  const dir = mkdtempSync(path.join(tmp, 'empty-'));
  const started = Date.now();
  const error = await ensureLocalModels(dir, { env, stderr: io().stderr }).then(
    () => assert.fail('expected the download to fail'),
    (reason: unknown) => reason,
  );
  assert.ok(isUnbundleError(error), String(error));
  assert.equal(error.code, 'UNBUNDLE_E_MODEL_DOWNLOAD');
  assert.ok(Date.now() - started < 15_000, 'a failed download must fail fast');
  assert.ok(error.message.includes(dir), 'names the folder to put a model in');
  assert.match(error.message, /put a \.gguf file into .* \(the UNBUNDLE_MODEL_DIR folder, default \.\/models\)/);
  assert.match(error.message, /portfolio\.yaml/);
  assert.ok(!error.message.includes('\n'), 'one paragraph');
  assert.deepEqual(readdirSync(dir), [], 'nothing half-downloaded is left');
  return error;
}

test('offline: a clear paragraph about where to put a model, within seconds', async () => {
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const error = await downloadError({ HF_ENDPOINT: `http://127.0.0.1:${port}` });
  assert.match(error.message, /cannot be reached \(ECONNREFUSED\); this machine looks offline/);
  assert.ok(error.message.includes(defaultModel.uri));
});

test('a hub without the file, or serving something else, is refused before downloading', async () => {
  const missing = await downloadError({ HF_ENDPOINT: hub, UNBUNDLE_DEFAULT_MODEL: 'hf:nobody/nothing/none.gguf' });
  assert.match(missing.message, /answered HTTP 404/);
  const html = await downloadError({ HF_ENDPOINT: hub, UNBUNDLE_DEFAULT_MODEL: `${hub}html/resolve/main/page.gguf` });
  assert.match(html.message, /does not serve a GGUF file \(it starts with "<htm"\)/);
  const privateRepo = await downloadError({ HF_ENDPOINT: hub, UNBUNDLE_DEFAULT_MODEL: 'hf:private/repo/model.gguf' });
  assert.match(privateRepo.message, /refused access \(HTTP 401\); set HF_TOKEN/);
});

test('download: false leaves an empty folder empty, without touching the network', async () => {
  requests = [];
  const dir = mkdtempSync(path.join(tmp, 'no-download-'));
  assert.deepEqual(await ensureLocalModels(dir, { env: { HF_ENDPOINT: hub }, stderr: io().stderr, download: false }), []);
  assert.deepEqual(readdirSync(dir), []);
  assert.deepEqual(requests, []);
});

test('modelDirFrom reads UNBUNDLE_MODEL_DIR, defaulting to ./models', () => {
  assert.equal(modelDirFrom({}, '/srv/app'), '/srv/app/models');
  assert.equal(modelDirFrom({ UNBUNDLE_MODEL_DIR: 'weights' }, '/srv/app'), '/srv/app/weights');
  assert.equal(modelDirFrom({ UNBUNDLE_MODEL_DIR: '/data/gguf' }, '/srv/app'), '/data/gguf');
  assert.equal(existsSync(modelDirFrom({}, tmp)), false);
});
