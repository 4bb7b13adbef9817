/**
 * The error catalogue. Every error a client or CLI user can see has a stable code, an HTTP
 * status, an OpenAI error `type`, and a `retryable` flag the executor trusts. The catalogue is
 * listed in docs/errors.md; test/errors.test.ts keeps the two in step.
 */

export const errorCatalogue = {
  UNBUNDLE_E_BAD_REQUEST: { status: 400, type: 'invalid_request_error', retryable: false },
  UNBUNDLE_E_INVALID_JSON: { status: 400, type: 'invalid_request_error', retryable: false },
  UNBUNDLE_E_UNAUTHORIZED: { status: 401, type: 'authentication_error', retryable: false },
  UNBUNDLE_E_FORBIDDEN: { status: 403, type: 'permission_error', retryable: false },
  UNBUNDLE_E_POLICY_BLOCKED: { status: 403, type: 'permission_error', retryable: false },
  UNBUNDLE_E_POLICY_FORBIDDEN_ZONE: { status: 403, type: 'permission_error', retryable: false },
  UNBUNDLE_E_MODEL_NOT_FOUND: { status: 404, type: 'invalid_request_error', retryable: false },
  UNBUNDLE_E_NOT_FOUND: { status: 404, type: 'invalid_request_error', retryable: false },
  UNBUNDLE_E_METHOD_NOT_ALLOWED: { status: 405, type: 'invalid_request_error', retryable: false },
  UNBUNDLE_E_BODY_TOO_LARGE: { status: 413, type: 'invalid_request_error', retryable: false },
  UNBUNDLE_E_JSON_LIMIT: { status: 400, type: 'invalid_request_error', retryable: false },
  UNBUNDLE_E_HEADERS_TOO_LARGE: { status: 431, type: 'invalid_request_error', retryable: false },
  UNBUNDLE_E_REQUEST_TIMEOUT: { status: 408, type: 'invalid_request_error', retryable: true },
  UNBUNDLE_E_UNSUPPORTED: { status: 400, type: 'invalid_request_error', retryable: false },
  UNBUNDLE_E_CONTEXT_LENGTH: { status: 400, type: 'invalid_request_error', retryable: false },
  UNBUNDLE_E_QUEUE_FULL: { status: 429, type: 'rate_limit_error', retryable: true },
  UNBUNDLE_E_RATE_LIMITED: { status: 429, type: 'rate_limit_error', retryable: true },
  UNBUNDLE_E_UPSTREAM_CLIENT: { status: 400, type: 'invalid_request_error', retryable: false },
  UNBUNDLE_E_UPSTREAM_AUTH: { status: 502, type: 'upstream_error', retryable: false },
  UNBUNDLE_E_UPSTREAM_RATE_LIMITED: { status: 429, type: 'rate_limit_error', retryable: true },
  UNBUNDLE_E_UPSTREAM_SERVER: { status: 502, type: 'upstream_error', retryable: true },
  UNBUNDLE_E_UPSTREAM_CONNECT: { status: 502, type: 'upstream_error', retryable: true },
  UNBUNDLE_E_UPSTREAM_MALFORMED: { status: 502, type: 'upstream_error', retryable: true },
  UNBUNDLE_E_UPSTREAM_TIMEOUT: { status: 504, type: 'timeout_error', retryable: true },
  UNBUNDLE_E_MODEL_LOAD: { status: 503, type: 'server_error', retryable: false },
  UNBUNDLE_E_MODEL_DOWNLOAD: { status: 503, type: 'server_error', retryable: false },
  UNBUNDLE_E_CIRCUIT_OPEN: { status: 503, type: 'server_error', retryable: true },
  UNBUNDLE_E_SHUTTING_DOWN: { status: 503, type: 'server_error', retryable: true },
  UNBUNDLE_E_CANCELLED: { status: 499, type: 'server_error', retryable: false },
  UNBUNDLE_E_CONFIG: { status: 500, type: 'server_error', retryable: false },
  UNBUNDLE_E_DATA: { status: 400, type: 'invalid_request_error', retryable: false },
  UNBUNDLE_E_USAGE: { status: 400, type: 'invalid_request_error', retryable: false },
  UNBUNDLE_E_BUDGET_EXCEEDED: { status: 402, type: 'insufficient_quota', retryable: false },
  UNBUNDLE_E_STORE_UNAVAILABLE: { status: 503, type: 'server_error', retryable: true },
  UNBUNDLE_E_INTERNAL: { status: 500, type: 'server_error', retryable: false },
} as const satisfies Record<string, { status: number; type: string; retryable: boolean }>;

export type ErrorCode = keyof typeof errorCatalogue;

export interface UnbundleErrorOptions {
  cause?: unknown;
  /** The request field the error is about, in OpenAI's `param` slot. */
  param?: string;
  /** Overrides the catalogue status (e.g. an upstream 404 mapped through). */
  status?: number;
  /** Seconds the client should wait before retrying (sets Retry-After). */
  retryAfterSeconds?: number;
  /** Overrides the catalogue's retryable flag: a failure that another try would only repeat. */
  retryable?: boolean;
}

export class UnbundleError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly type: string;
  readonly retryable: boolean;
  readonly param: string | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options: UnbundleErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const entry = errorCatalogue[code];
    this.name = 'UnbundleError';
    this.code = code;
    this.status = options.status ?? entry.status;
    this.type = entry.type;
    this.retryable = options.retryable ?? entry.retryable;
    this.param = options.param;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** OpenAI's error body, which the official SDKs parse into their own error classes. */
  toBody(): { error: { message: string; type: string; code: string; param: string | null } } {
    return { error: { message: this.message, type: this.type, code: this.code, param: this.param ?? null } };
  }
}

export function isUnbundleError(value: unknown): value is UnbundleError {
  return value instanceof UnbundleError;
}

/** The server's own shutdown error when `value` is it (an abort reason or a failure): 503, retryable, passed on as it is rather than turned into a cancellation. */
export function shutdownError(value: unknown): UnbundleError | undefined {
  return value instanceof UnbundleError && value.code === 'UNBUNDLE_E_SHUTTING_DOWN' ? value : undefined;
}

/** Wraps anything thrown into an UnbundleError without losing the original as `cause`. */
export function toUnbundleError(value: unknown): UnbundleError {
  if (value instanceof UnbundleError) return value;
  if (value instanceof Error && value.name === 'AbortError') {
    return new UnbundleError('UNBUNDLE_E_CANCELLED', 'The request was cancelled.', { cause: value });
  }
  const message = value instanceof Error ? value.message : String(value);
  return new UnbundleError('UNBUNDLE_E_INTERNAL', `Internal error: ${message}`, { cause: value });
}
