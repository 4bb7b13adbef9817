import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Usage } from '../backends/types.ts';
import type { UnbundleError } from '../errors.ts';

/** What one request accumulates on its way through the house; the log line is written from it. */
export interface RequestContext {
  id: string;
  req: IncomingMessage;
  res: ServerResponse;
  /** performance.now() at arrival. */
  start: number;
  /** Aborted when the client disconnects or the server stops. */
  signal: AbortSignal;
  endpoint: string;
  requestedModel?: string;
  answeredBy?: string;
  attempts?: number;
  stream?: boolean;
  usage?: Usage;
  ttftMs?: number;
  error?: UnbundleError;
}

const clientIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

/** Honours a sane client-supplied x-request-id (for tracing across services), else makes one. */
export function requestIdFor(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && clientIdPattern.test(given) ? given : randomUUID();
}

export function createRequestContext(req: IncomingMessage, res: ServerResponse, endpoint: string, shutdownSignal: AbortSignal): RequestContext {
  const controller = new AbortController();
  const abort = () => controller.abort(new Error('client disconnected'));
  // 'close' before the response finished means the client went away: cancel generation now,
  // so a local model's slot is freed at once rather than after the answer completes.
  res.once('close', () => {
    if (!res.writableFinished) abort();
  });
  if (shutdownSignal.aborted) abort();
  else shutdownSignal.addEventListener('abort', abort, { once: true });
  res.once('close', () => shutdownSignal.removeEventListener('abort', abort));
  const id = requestIdFor(req);
  res.setHeader('x-request-id', id);
  return { id, req, res, start: performance.now(), signal: controller.signal, endpoint };
}
