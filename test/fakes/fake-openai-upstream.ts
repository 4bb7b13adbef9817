import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { created, embeddings, streamEvents, tokensOf, wholeAnswer } from './fake-openai-wire.ts';
import type { Call, FakeAnswer } from './fake-openai-wire.ts';

export type { FakeAnswer, FakeToolCall } from './fake-openai-wire.ts';

/**
 * An OpenAI-compatible upstream on 127.0.0.1 for tests and benches, speaking the wire format of
 * OpenAI's API reference: /v1/chat/completions (plain and SSE), /v1/completions, /v1/embeddings,
 * /v1/models. Its behaviour is set per server (`setBehavior`) or per request with the
 * `x-fake-behavior` header (`ok`, `error:503`, `hang`, `reset`, `drip:20`, `cut`, `cut:2`,
 * `malformed`, or a JSON FakeBehavior), so one bench can mix healthy and failing traffic. A
 * script (`setScript`: one behaviour per call, in order, then the server's) or a chooser
 * (`setChooser`: called per call, e.g. "fail 30% at random") drive outage tests and the chaos bench.
 * The `ok` path is kept cheap: benches use it as the zero-delay upstream.
 */

export type FakeBehavior =
  | ({ kind: 'ok' } & FakeAnswer)
  | { kind: 'error'; status: number; body?: unknown; headers?: Record<string, string> }
  /** Reads the request, never answers. */
  | { kind: 'hang' }
  /** Destroys the socket once the request is read. */
  | { kind: 'reset' }
  /** One token every intervalMs (a non-streamed request gets the whole answer at the end). */
  | ({ kind: 'drip'; intervalMs: number } & FakeAnswer)
  /** Stops after `afterTokens` tokens with no finish reason and no [DONE]: a clean end, or a destroyed socket. */
  | ({ kind: 'cut'; afterTokens?: number; destroy?: boolean } & FakeAnswer)
  /** Invalid JSON in a 200 body, or an invalid JSON chunk in the stream. */
  | { kind: 'malformed' };

export interface CapturedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The client's port: requests sharing one came over one keep-alive connection. */
  remotePort: number | undefined;
  rawBody: string;
  /** The parsed JSON body, or undefined when it was not JSON. */
  body: unknown;
  behavior: FakeBehavior;
  /** Stream tokens written so far (drip and cut). */
  sentTokens: number;
  /** Resolves when the response closes; completed is false when the client went away first. */
  closed: Promise<{ completed: boolean }>;
}

export interface FakeOpenAIUpstreamOptions {
  behavior?: FakeBehavior;
  /** Keep every request in `requests` (default true; benches turn it off). */
  record?: boolean;
}

export interface FakeOpenAIUpstream {
  /** The baseURL to configure: http://127.0.0.1:PORT/v1 */
  url: string;
  port: number;
  requests: CapturedRequest[];
  setBehavior(behavior: FakeBehavior): void;
  /** The next calls get these behaviours, one each, in order (then the server's behaviour again). */
  setScript(behaviors: FakeBehavior[]): void;
  /** Picks each call's behaviour (undefined: the server's); pass undefined to remove it. */
  setChooser(choose: ((call: number) => FakeBehavior | undefined) | undefined): void;
  /** Generation and embedding calls received (health-check GETs not counted). */
  readonly calls: number;
  close(): Promise<void>;
}

const jsonHeaders = { 'content-type': 'application/json' };
const sseHeaders = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };
const shorthand = /^(ok|error|hang|reset|drip|cut|malformed)(?::(\d+))?$/;

export function parseFakeBehavior(text: string): FakeBehavior {
  if (text.startsWith('{')) return JSON.parse(text) as FakeBehavior;
  const match = shorthand.exec(text.trim());
  if (match === null) throw new Error(`x-fake-behavior: unknown behaviour "${text}"`);
  const arg = match[2] === undefined ? undefined : Number(match[2]);
  switch (match[1]) {
    case 'error':
      return { kind: 'error', status: arg ?? 500 };
    case 'drip':
      return { kind: 'drip', intervalMs: arg ?? 10 };
    case 'cut':
      return arg === undefined ? { kind: 'cut' } : { kind: 'cut', afterTokens: arg };
    default:
      return { kind: match[1] as 'ok' | 'hang' | 'reset' | 'malformed' };
  }
}

function sendError(res: ServerResponse, status: number, message: string, type = 'invalid_request_error'): void {
  res.writeHead(status, jsonHeaders).end(JSON.stringify({ error: { message, type, param: null, code: null } }));
}

export async function startFakeOpenAIUpstream(options: FakeOpenAIUpstreamOptions = {}): Promise<FakeOpenAIUpstream> {
  let current: FakeBehavior = options.behavior ?? { kind: 'ok' };
  let script: FakeBehavior[] = [];
  let chooser: ((call: number) => FakeBehavior | undefined) | undefined;
  let calls = 0;
  const record = options.record ?? true;
  const requests: CapturedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const headerBehaviors = new Map<string, FakeBehavior>();
  const okAnswers = new WeakMap<FakeBehavior, Map<string, string>>();
  const wait = (ms: number) => new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      resolve();
    }, ms);
    timers.add(timer);
  });

  async function answerGenerate(res: ServerResponse, call: Call, behavior: FakeBehavior, captured: CapturedRequest): Promise<void> {
    if (behavior.kind === 'malformed') {
      if (!call.stream) return void res.writeHead(200, jsonHeaders).end('{"id":"chatcmpl-fake","choices":[{"message":');
      const { tokens } = streamEvents(call, {});
      return void res.writeHead(200, sseHeaders).end(`${tokens[0]}data: {"choices":[{"delta":{"content":"oops"}\n\ndata: [DONE]\n\n`);
    }
    const answer: FakeAnswer = behavior.kind === 'ok' || behavior.kind === 'drip' || behavior.kind === 'cut' ? behavior : {};
    if (behavior.kind === 'ok') {
      // Benches send the same request over and over: build each distinct answer once.
      let answers = okAnswers.get(behavior);
      if (answers === undefined || answers.size > 1000) okAnswers.set(behavior, (answers = new Map()));
      const key = `${call.kind}|${call.stream}|${call.includeUsage}|${call.promptTokens}|${call.model}`;
      let wire = answers.get(key);
      if (wire === undefined) {
        const events = call.stream ? streamEvents(call, answer) : undefined;
        wire = events === undefined ? wholeAnswer(call, answer) : events.tokens.join('') + events.tail.join('');
        answers.set(key, wire);
      }
      return void res.writeHead(200, call.stream ? sseHeaders : jsonHeaders).end(wire);
    }
    if (!call.stream) {
      const whole = wholeAnswer(call, answer);
      if (behavior.kind === 'drip') {
        await wait(behavior.intervalMs * tokensOf(answer).length);
        if (!res.destroyed) res.writeHead(200, jsonHeaders).end(whole);
        return;
      }
      // cut: promise the whole body, send half, then drop the connection.
      res.writeHead(200, { ...jsonHeaders, 'content-length': Buffer.byteLength(whole) });
      res.write(whole.slice(0, Math.floor(whole.length / 2)));
      return void setImmediate(() => res.destroy());
    }
    const { tokens, tail } = streamEvents(call, answer);
    res.writeHead(200, sseHeaders);
    res.flushHeaders();
    const limit = behavior.kind === 'cut' ? Math.min(tokens.length, behavior.afterTokens ?? Math.floor(tokens.length / 2)) : tokens.length;
    for (let i = 0; i < limit; i++) {
      if (behavior.kind === 'drip' && i > 0) await wait(behavior.intervalMs);
      if (res.destroyed) return;
      res.write(tokens[i]);
      captured.sentTokens++;
    }
    if (behavior.kind === 'cut') return void (behavior.destroy === true ? res.destroy() : res.end());
    await wait(behavior.kind === 'drip' ? behavior.intervalMs : 0);
    if (!res.destroyed) res.end(tail.join(''));
  }

  async function handle(req: IncomingMessage, res: ServerResponse, rawBody: string): Promise<void> {
    const header = req.headers['x-fake-behavior'];
    let behavior = current;
    if (req.method === 'POST') {
      const call = calls++;
      if (script.length > 0) behavior = script.shift()!;
      else if (chooser !== undefined) behavior = chooser(call) ?? current;
    }
    if (typeof header === 'string') {
      behavior = headerBehaviors.get(header) ?? parseFakeBehavior(header);
      headerBehaviors.set(header, behavior);
    }
    let body: unknown;
    try {
      body = rawBody === '' ? undefined : JSON.parse(rawBody);
    } catch {
      body = undefined;
    }
    const path = (req.url ?? '/').replace(/\?.*$/, '').replace(/^\/v1(?=\/)/, '');
    const captured: CapturedRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      remotePort: req.socket.remotePort,
      rawBody,
      body,
      behavior,
      sentTokens: 0,
      closed: new Promise((resolve) => res.once('close', () => resolve({ completed: res.writableFinished }))),
    };
    if (record) requests.push(captured);

    if (behavior.kind === 'hang') return;
    if (behavior.kind === 'reset') return void req.socket.destroy();
    if (behavior.kind === 'error') {
      const errorBody = behavior.body ?? { error: { message: `fake upstream error ${behavior.status}`, type: 'server_error', param: null, code: null } };
      res.writeHead(behavior.status, { ...jsonHeaders, ...behavior.headers });
      return void res.end(typeof errorBody === 'string' ? errorBody : JSON.stringify(errorBody));
    }
    if (req.method === 'GET' && path === '/models') {
      return void res.writeHead(200, jsonHeaders).end(JSON.stringify({ object: 'list', data: [{ id: 'fake-model', object: 'model', created, owned_by: 'fake' }] }));
    }
    if (req.method !== 'POST') return sendError(res, 405, `Method ${req.method} not allowed on ${path}`);
    if (typeof body !== 'object' || body === null) return sendError(res, 400, 'We could not parse the JSON body of your request.');
    const json = body as Record<string, unknown>;
    if (path === '/embeddings') return void res.writeHead(200, jsonHeaders).end(embeddings(json));
    if (path !== '/chat/completions' && path !== '/completions') return sendError(res, 404, `Unknown request URL: POST ${req.url}.`);
    const streamOptions = json.stream_options as { include_usage?: unknown } | undefined;
    const call: Call = {
      kind: path === '/completions' ? 'completion' : 'chat',
      model: typeof json.model === 'string' ? json.model : 'fake-model',
      stream: json.stream === true,
      includeUsage: streamOptions?.include_usage === true,
      promptTokens: Math.max(1, Math.ceil(rawBody.length / 40)),
    };
    await answerGenerate(res, call, behavior, captured);
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8');
      handle(req, res, rawBody).catch((error: unknown) => {
        if (!res.headersSent) sendError(res, 500, `fake upstream bug: ${(error as Error).message}`, 'server_error');
        else res.destroy();
      });
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    setBehavior(behavior: FakeBehavior) {
      current = behavior;
    },
    setScript(behaviors: FakeBehavior[]) {
      script = [...behaviors];
    },
    setChooser(choose) {
      chooser = choose;
    },
    get calls() {
      return calls;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
