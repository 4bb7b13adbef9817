import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The chaos machinery shared by the Anthropic and Gemini fakes (the OpenAI fake predates it and
 * keeps its own): a loopback HTTP server that answers per a behaviour chosen per server
 * (`setBehavior`), per scripted request (`setScript`: one behaviour per request, in order) or per
 * request with the `x-fake-behavior` header. Each wire format supplies only how an answer, an
 * error and an SSE event look.
 */

export interface FakeToolCall {
  id: string;
  name: string;
  /** The arguments as an object (both wire formats send objects). */
  input: Record<string, unknown>;
}

export interface FakeAnswer {
  /** Default "Hello from the fake upstream." — streamed one word per event. */
  text?: string;
  toolCalls?: FakeToolCall[];
}

export type FakeBehavior =
  | ({ kind: 'ok' } & FakeAnswer)
  /** The provider's error body with this status, or one picked at random per request from a list (or a custom body). */
  | { kind: 'error'; status: number | number[]; body?: unknown; headers?: Record<string, string> }
  /** Reads the request, never answers. */
  | { kind: 'hang' }
  /** Destroys the socket once the request is read. */
  | { kind: 'reset' }
  /** One event every intervalMs (a non-streamed request gets the whole answer at the end). */
  | ({ kind: 'drip'; intervalMs: number } & FakeAnswer)
  /** The stream stops after `afterEvents` events, before the end of the message. */
  | ({ kind: 'cut'; afterEvents?: number; destroy?: boolean } & FakeAnswer)
  /** Invalid JSON in a 200 body, or an invalid JSON event in the stream. */
  | { kind: 'malformed' }
  /** Valid JSON events with broken SSE framing (no blank line between events, no `data:` prefix). */
  | { kind: 'framing' }
  /** Replays test/fixtures/providers/<provider>/<name>.json's `response`. */
  | { kind: 'fixture'; name: string };

export interface CapturedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  body: unknown;
  behavior: FakeBehavior;
  closed: Promise<{ completed: boolean }>;
}

/** What one wire format must say; `call` is the parsed request the route accepted. */
export interface WireFormat<Call> {
  provider: 'anthropic' | 'gemini';
  /** The request's call, or a [status, message] to refuse it with (unknown path, bad body). */
  route(method: string, path: string, query: URLSearchParams, body: unknown): Call | [number, string];
  isStream(call: Call): boolean;
  /** The whole non-streamed body. */
  whole(call: Call, answer: FakeAnswer): string;
  /** The SSE events of a streamed answer: `body` events (tokens) then the `tail` that ends the message. */
  events(call: Call, answer: FakeAnswer): { body: string[]; tail: string[] };
  errorBody(status: number, message: string): string;
  /** One event with broken framing, for `framing`. */
  badFraming(call: Call): string;
}

export interface FixtureResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** SSE events: [eventName | null, data object | raw string]. */
  sse?: Array<[string | null, unknown]>;
}

const fixturesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/providers');

export function readFixture(provider: string, name: string): Record<string, unknown> & { response: FixtureResponse } {
  return JSON.parse(readFileSync(path.join(fixturesDir, provider, `${name}.json`), 'utf8')) as Record<string, unknown> & { response: FixtureResponse };
}

export function sseText(events: Array<[string | null, unknown]>): string {
  return events.map(([event, data]) => `${event === null ? '' : `event: ${event}\n`}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`).join('');
}

export interface FakeUpstream {
  /** The baseURL to configure. */
  url: string;
  port: number;
  requests: CapturedRequest[];
  setBehavior(behavior: FakeBehavior): void;
  /** Behaviours for the next requests, one each, before falling back to the server's behaviour. */
  setScript(behaviors: FakeBehavior[]): void;
  close(): Promise<void>;
}

const shorthand = /^(ok|error|hang|reset|drip|cut|malformed|framing|fixture)(?::([\w.,-]+))?$/;

export function parseFakeBehavior(text: string): FakeBehavior {
  if (text.startsWith('{')) return JSON.parse(text) as FakeBehavior;
  const match = shorthand.exec(text.trim());
  if (match === null) throw new Error(`x-fake-behavior: unknown behaviour "${text}"`);
  const arg = match[2];
  switch (match[1]) {
    case 'error':
      // error:503 or a list to pick from at random per request, error:429,500,503,529
      return { kind: 'error', status: arg === undefined ? 500 : arg.includes(',') ? arg.split(',').map(Number) : Number(arg) };
    case 'drip':
      return { kind: 'drip', intervalMs: arg === undefined ? 10 : Number(arg) };
    case 'cut':
      return arg === undefined ? { kind: 'cut' } : { kind: 'cut', afterEvents: Number(arg) };
    case 'fixture':
      return { kind: 'fixture', name: arg ?? '' };
    default:
      return { kind: match[1] as 'ok' | 'hang' | 'reset' | 'malformed' | 'framing' };
  }
}

const jsonHeaders = { 'content-type': 'application/json' };
const sseHeaders = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };

export async function startFakeUpstream<Call>(wire: WireFormat<Call>, options: { behavior?: FakeBehavior; record?: boolean; basePath: string }): Promise<FakeUpstream> {
  let current: FakeBehavior = options.behavior ?? { kind: 'ok' };
  let script: FakeBehavior[] = [];
  const record = options.record ?? true;
  const requests: CapturedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const wait = (ms: number) => new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      resolve();
    }, ms);
    timers.add(timer);
  });

  async function answer(res: ServerResponse, call: Call, behavior: FakeBehavior): Promise<void> {
    const stream = wire.isStream(call);
    if (behavior.kind === 'fixture') {
      const { response } = readFixture(wire.provider, behavior.name);
      if (response.sse !== undefined) return void res.writeHead(response.status, { ...sseHeaders, ...response.headers }).end(sseText(response.sse));
      const body = typeof response.body === 'string' ? response.body : JSON.stringify(response.body);
      return void res.writeHead(response.status, { ...jsonHeaders, ...response.headers }).end(body);
    }
    if (behavior.kind === 'malformed') {
      if (!stream) return void res.writeHead(200, jsonHeaders).end('{"id":"fake","content":[{"type":');
      const { body } = wire.events(call, {});
      return void res.writeHead(200, sseHeaders).end(`${body[0] ?? ''}data: {"type":"content_block_delta","candidates":[\n\n`);
    }
    if (behavior.kind === 'framing') {
      if (!stream) return void res.writeHead(200, jsonHeaders).end(wire.whole(call, {}));
      return void res.writeHead(200, sseHeaders).end(wire.badFraming(call));
    }
    const fakeAnswer: FakeAnswer = behavior.kind === 'ok' || behavior.kind === 'drip' || behavior.kind === 'cut' ? behavior : {};
    if (!stream) {
      const whole = wire.whole(call, fakeAnswer);
      if (behavior.kind === 'drip') {
        await wait(behavior.intervalMs * wire.events(call, fakeAnswer).body.length);
        if (!res.destroyed) res.writeHead(200, jsonHeaders).end(whole);
        return;
      }
      if (behavior.kind === 'cut') {
        res.writeHead(200, { ...jsonHeaders, 'content-length': Buffer.byteLength(whole) });
        res.write(whole.slice(0, Math.floor(whole.length / 2)));
        return void setImmediate(() => res.destroy());
      }
      return void res.writeHead(200, jsonHeaders).end(whole);
    }
    const { body, tail } = wire.events(call, fakeAnswer);
    if (behavior.kind === 'ok') return void res.writeHead(200, sseHeaders).end(body.join('') + tail.join(''));
    res.writeHead(200, sseHeaders);
    res.flushHeaders();
    const limit = behavior.kind === 'cut' ? Math.min(body.length, behavior.afterEvents ?? Math.floor(body.length / 2)) : body.length;
    for (let i = 0; i < limit; i++) {
      if (behavior.kind === 'drip' && i > 0) await wait(behavior.intervalMs);
      if (res.destroyed) return;
      res.write(body[i]);
    }
    if (behavior.kind === 'cut') return void (behavior.destroy === true ? res.destroy() : res.end());
    await wait(behavior.kind === 'drip' ? behavior.intervalMs : 0);
    if (!res.destroyed) res.end(tail.join(''));
  }

  async function handle(req: IncomingMessage, res: ServerResponse, rawBody: string): Promise<void> {
    const header = req.headers['x-fake-behavior'];
    const behavior = typeof header === 'string' ? parseFakeBehavior(header) : script.shift() ?? current;
    let body: unknown;
    try {
      body = rawBody === '' ? undefined : JSON.parse(rawBody);
    } catch {
      body = undefined;
    }
    const url = new URL(req.url ?? '/', 'http://fake');
    const captured: CapturedRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      rawBody,
      body,
      behavior,
      closed: new Promise((resolve) => res.once('close', () => resolve({ completed: res.writableFinished }))),
    };
    if (record) requests.push(captured);
    if (behavior.kind === 'hang') return;
    if (behavior.kind === 'reset') return void req.socket.destroy();
    if (behavior.kind === 'error') {
      const status = Array.isArray(behavior.status) ? behavior.status[Math.floor(Math.random() * behavior.status.length)]! : behavior.status;
      const errorBody = behavior.body === undefined ? wire.errorBody(status, `fake upstream error ${status}`) : typeof behavior.body === 'string' ? behavior.body : JSON.stringify(behavior.body);
      return void res.writeHead(status, { ...jsonHeaders, ...behavior.headers }).end(errorBody);
    }
    const relative = url.pathname.startsWith(options.basePath) ? url.pathname.slice(options.basePath.length) : url.pathname;
    const call = wire.route(req.method ?? 'GET', relative, url.searchParams, body);
    if (Array.isArray(call)) return void res.writeHead(call[0], jsonHeaders).end(wire.errorBody(call[0], call[1]));
    await answer(res, call, behavior);
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, jsonHeaders).end(wire.errorBody(500, `fake upstream bug: ${(error as Error).message}`));
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
    url: `http://127.0.0.1:${port}${options.basePath}`,
    port,
    requests,
    setBehavior(behavior) {
      current = behavior;
    },
    setScript(behaviors) {
      script = [...behaviors];
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

export const defaultText = 'Hello from the fake upstream.';

export function wordsOf(answer: FakeAnswer): string[] {
  return (answer.text ?? defaultText).split(/(?<= )/).filter((t) => t !== '');
}
