import type { GatewayResponse } from './http/gateway-http.ts';
import { toUnbundleError, type UnbundleError } from '../errors.ts';
import { anthropicErrorBody, isAnthropicEndpoint } from './anthropic/encode-anthropic.ts';
import type { RequestContext } from './request-context.ts';

/**
 * A JSON answer. The headers go to writeHead as one flat list: when nothing was set with setHeader
 * before (the proxy path), node writes them straight out, without its per-header bookkeeping
 * (lower-cased names, a [name, value] pair and a dictionary entry each); headers set earlier are
 * still kept and merged.
 */
export function sendJson(res: GatewayResponse, status: number, body: string, headers?: Record<string, string>): void {
  const list = ['content-type', 'application/json', 'content-length', String(Buffer.byteLength(body))];
  if (headers) for (const name in headers) list.push(name, headers[name]!);
  res.writeHead(status, list);
  res.end(body);
}

/**
 * The error body in the client's wire format (Anthropic's under /v1/messages, OpenAI's elsewhere)
 * with the right status, Retry-After when the client should retry.
 */
export function sendError(ctx: RequestContext, thrown: unknown): void {
  const error = toUnbundleError(thrown);
  ctx.error = error;
  const { res } = ctx;
  if (res.headersSent) {
    // Headers are gone; the streaming code writes its own error event. Nothing more to say here.
    if (!res.writableEnded) res.end();
    return;
  }
  if (!res.hasHeader('x-request-id')) res.setHeader('x-request-id', ctx.id);
  if (!res.hasHeader('x-unbundle-model')) res.setHeader('x-unbundle-model', ctx.answeredBy ?? 'none');
  if (error.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(Math.max(1, Math.ceil(error.retryAfterSeconds))));
  if (error.code === 'UNBUNDLE_E_BODY_TOO_LARGE' || error.code === 'UNBUNDLE_E_HEADERS_TOO_LARGE') res.setHeader('connection', 'close');
  let body: object;
  if (isAnthropicEndpoint(ctx.endpoint)) {
    body = anthropicErrorBody(error, ctx.id);
    if (!res.hasHeader('request-id')) res.setHeader('request-id', ctx.id);
  } else body = error.toBody();
  sendJson(res, error.status, JSON.stringify(body));
}

/** `flush: false` leaves the headers to go out with the first chunk (see StreamWriter). */
export function startEventStream(res: GatewayResponse, headers: Record<string, string>, flush = true): void {
  res.statusCode = 200;
  res.setHeader('content-type', 'text/event-stream; charset=utf-8');
  res.setHeader('cache-control', 'no-cache');
  res.setHeader('x-accel-buffering', 'no');
  for (const name in headers) res.setHeader(name, headers[name]!);
  if (flush) res.flushHeaders();
}

/** Writes a chunk, waiting for the socket to drain when the client reads slower than we produce. */
export async function writeChunk(res: GatewayResponse, chunk: string): Promise<void> {
  if (chunk === '' || res.writableEnded || res.destroyed) return;
  if (res.write(chunk)) return;
  await drained(res);
}

/** Resolves once the client has read what was buffered ('drain'), or has gone ('close'). */
export function drained(res: GatewayResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

export type { UnbundleError };
