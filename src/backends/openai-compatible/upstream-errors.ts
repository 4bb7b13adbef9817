import { UnbundleError } from '../../errors.ts';
import type { ErrorCode } from '../../errors.ts';

/**
 * What went wrong upstream → our error catalogue. The `retryable` flag each code carries is what
 * the executor trusts, so the mapping is the decision: a 400 is never retried, a refused
 * connection or a 503 is.
 */

type Headers = Record<string, string | string[] | undefined>;

/** Longest upstream message we pass on; error pages can be whole HTML documents. */
const maxMessageLength = 500;

export function errorFromStatus(modelId: string, status: number, headers: Headers, bodyText: string, secret: string | undefined): UnbundleError {
  const detail = scrub(upstreamMessage(bodyText), secret);
  const said = detail === '' ? '' : `: ${detail}`;
  const retryAfterSeconds = parseRetryAfter(headers);
  const withRetry = retryAfterSeconds === undefined ? {} : { retryAfterSeconds };
  if (status === 401 || status === 403) {
    return new UnbundleError('UNBUNDLE_E_UPSTREAM_AUTH', `Model "${modelId}": the upstream refused our credentials (HTTP ${status})${said}. Check the API key in the env var named by apiKeyEnv.`);
  }
  if (status === 429 || status === 409) {
    return new UnbundleError('UNBUNDLE_E_UPSTREAM_RATE_LIMITED', `Model "${modelId}": the upstream asked us to slow down (HTTP ${status})${said}`, withRetry);
  }
  if (status === 408) {
    return new UnbundleError('UNBUNDLE_E_UPSTREAM_TIMEOUT', `Model "${modelId}": the upstream timed out the request (HTTP 408)${said}`, withRetry);
  }
  if (status >= 400 && status < 500) {
    // The client's request is at fault: pass the status through so a 404 stays a 404.
    return new UnbundleError('UNBUNDLE_E_UPSTREAM_CLIENT', `Model "${modelId}": the upstream rejected the request (HTTP ${status})${said}`, { status });
  }
  if (status >= 500) {
    return new UnbundleError('UNBUNDLE_E_UPSTREAM_SERVER', `Model "${modelId}": the upstream failed (HTTP ${status})${said}`, withRetry);
  }
  return new UnbundleError('UNBUNDLE_E_UPSTREAM_MALFORMED', `Model "${modelId}": the upstream answered with unexpected HTTP ${status}${said}`);
}

/** OpenAI `{error:{message}}`, vLLM `{message}`, TGI `{error:"..."}`, FastAPI `{detail}`, or text. */
export function upstreamMessage(bodyText: string): string {
  const text = bodyText.trim();
  if (text === '') return '';
  let message = text;
  if (text.startsWith('{')) {
    try {
      const body = JSON.parse(text) as Record<string, unknown>;
      const error = body.error;
      const candidate =
        typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string'
          ? (error as { message: string }).message
          : typeof error === 'string'
            ? error
            : typeof body.message === 'string'
              ? body.message
              : body.detail !== undefined
                ? typeof body.detail === 'string' ? body.detail : JSON.stringify(body.detail)
                : undefined;
      if (candidate !== undefined) message = candidate;
    } catch {
      // Not JSON after all: fall through with the raw text.
    }
  }
  message = message.replace(/\s+/g, ' ');
  return message.length > maxMessageLength ? `${message.slice(0, maxMessageLength)}…` : message;
}

/** An upstream that echoes the request back must not leak our API key into logs or clients. */
function scrub(text: string, secret: string | undefined): string {
  return secret !== undefined && secret.length >= 4 && text.includes(secret) ? text.split(secret).join('[redacted]') : text;
}

/** `retry-after-ms` (OpenAI), then `retry-after` in seconds or as an HTTP date. */
export function parseRetryAfter(headers: Headers, now = Date.now()): number | undefined {
  const ms = first(headers['retry-after-ms']);
  if (ms !== undefined) {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return Math.ceil(value / 100) / 10;
  }
  const raw = first(headers['retry-after']);
  if (raw === undefined || raw.trim() === '') return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds : undefined;
  const date = Date.parse(raw);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export type TransportPhase = 'connect' | 'headers' | 'body';

interface Timeouts {
  connectTimeoutMs: number;
  firstByteTimeoutMs: number;
  idleTimeoutMs: number;
}

/** Node's socket codes and the pool's (http1-error.ts) that mean the connection never came up or died under us. */
const connectionCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'HTTP1_SOCKET_CLOSED',
  'HTTP1_POOL_CLOSED',
  'HTTP1_CONNECT_TIMEOUT',
]);

/** True when the error means the upstream could not be reached at all (state() goes to 'error'). */
export function isConnectFailure(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'HTTP1_CONNECT_TIMEOUT';
}

export function errorFromTransport(modelId: string, error: unknown, phase: TransportPhase, timeouts: Timeouts): UnbundleError {
  if (error instanceof UnbundleError) return error;
  const code = errorCode(error);
  const reason = error instanceof Error ? error.message : String(error);
  const where = phase === 'body' ? 'while reading the answer' : phase === 'headers' ? 'before the answer started' : 'while connecting';
  if (code === 'HTTP1_HEADERS_TIMEOUT') {
    return new UnbundleError('UNBUNDLE_E_UPSTREAM_TIMEOUT', `Model "${modelId}": no response headers within firstByteTimeoutMs (${timeouts.firstByteTimeoutMs} ms).`, { cause: error });
  }
  if (code === 'HTTP1_BODY_TIMEOUT') {
    return new UnbundleError('UNBUNDLE_E_UPSTREAM_TIMEOUT', `Model "${modelId}": the answer stalled for longer than idleTimeoutMs (${timeouts.idleTimeoutMs} ms).`, { cause: error });
  }
  if (code === 'HTTP1_CONNECT_TIMEOUT') {
    return new UnbundleError('UNBUNDLE_E_UPSTREAM_CONNECT', `Model "${modelId}": could not connect within connectTimeoutMs (${timeouts.connectTimeoutMs} ms).`, { cause: error });
  }
  if (code !== undefined && connectionCodes.has(code)) {
    return new UnbundleError('UNBUNDLE_E_UPSTREAM_CONNECT', `Model "${modelId}": connection to the upstream failed ${where} (${code}: ${reason}).`, { cause: error });
  }
  if (code === 'HTTP1_BAD_RESPONSE') {
    return new UnbundleError('UNBUNDLE_E_UPSTREAM_MALFORMED', `Model "${modelId}": the upstream sent invalid HTTP ${where} (${reason}).`, { cause: error });
  }
  if (code === 'HTTP1_LENGTH_MISMATCH') {
    return new UnbundleError('UNBUNDLE_E_UPSTREAM_MALFORMED', `Model "${modelId}": the upstream's answer was shorter than its Content-Length (${reason}).`, { cause: error });
  }
  if (code === 'HTTP1_RESPONSE_TOO_LARGE' || (error instanceof RangeError && phase === 'body' && /string longer|string length|buffer allocation/i.test(error.message))) {
    // Another try would fetch (and buffer) the same answer again: not retried on this model.
    return new UnbundleError('UNBUNDLE_E_UPSTREAM_MALFORMED', `Model "${modelId}": the upstream's answer is too large (${reason}). Raise the model's maxResponseBytes if such answers are expected.`, { cause: error, retryable: false });
  }
  if (code === 'HTTP1_UNSUPPORTED_ENCODING') {
    return new UnbundleError('UNBUNDLE_E_UPSTREAM_MALFORMED', `Model "${modelId}": ${reason}. unbundle does not decompress answers: turn compression off on the upstream (or on a proxy in front of it).`, { cause: error, retryable: false });
  }
  if (code === 'HTTP1_BAD_REQUEST') {
    return new UnbundleError('UNBUNDLE_E_CONFIG', `Model "${modelId}": the request cannot be sent: ${reason}. Check the model's headers in the portfolio, and the API key's environment variable (a line break in it?).`, { cause: error });
  }
  return new UnbundleError('UNBUNDLE_E_UPSTREAM_CONNECT', `Model "${modelId}": request to the upstream failed ${where} (${reason}).`, { cause: error });
}

/** The first string `code` on the error or its causes. */
function errorCode(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > 4) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  return errorCode((error as { cause?: unknown }).cause, depth + 1);
}
