import { z } from 'zod';

/**
 * One row per request, always — answered, failed or cancelled. An absent token count or cost
 * means *unknown* (stored as NULL), never 0.
 */

const count = z.number().int().min(0);
const optionalText = z.string().max(512).optional();

export const ledgerRowSchema = z.strictObject({
  /**
   * The server-generated request id; the stores ignore a second row with the same id (replays are
   * idempotent). Never the client's x-request-id, which may repeat: that goes in clientRequestId.
   */
  id: z.string().min(1).max(128),
  /** The x-request-id the client sent, when it sent one (for tracing; not unique). */
  clientRequestId: optionalText,
  /** When the request arrived, epoch milliseconds. */
  time: z.number().int().min(0),
  /** chat | completion | embedding | messages ... */
  endpoint: optionalText,
  tenant: optionalText,
  /** The API key's id (never the key itself). */
  keyId: optionalText,
  requestedModel: optionalText,
  /** The model that answered; absent when none did. */
  model: optionalText,
  attempts: count,
  /** Every model tried, in order, comma-separated (executor retries and fallbacks). */
  attemptedModels: optionalText,
  domain: optionalText,
  routeReason: optionalText,
  dataClass: optionalText,
  stream: z.boolean().optional(),
  inputTokens: count.optional(),
  outputTokens: count.optional(),
  cachedInputTokens: count.optional(),
  reasoningTokens: count.optional(),
  latencyMs: z.number().min(0),
  ttftMs: z.number().min(0).optional(),
  /** The request's share of its model's busy time (self-hosted cost is priced from it). */
  computeMs: z.number().min(0).optional(),
  status: z.enum(['ok', 'error', 'cancelled']),
  httpStatus: z.number().int().min(100).max(599).optional(),
  errorCode: optionalText,
  cost: z.number().finite().min(0).optional(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  /** `none`: no model was called (refused or failed before dispatch), so the cost is exactly 0. */
  costBasis: z.enum(['api-price', 'self-hosted', 'unknown', 'none']),
});

export type LedgerRow = z.infer<typeof ledgerRowSchema>;
export type LedgerStatus = LedgerRow['status'];

/** Column order shared by the SQL stores: [row field, column name]. */
export const ledgerColumns = [
  ['id', 'id'],
  ['time', 'time'],
  ['endpoint', 'endpoint'],
  ['tenant', 'tenant'],
  ['keyId', 'key_id'],
  ['requestedModel', 'requested_model'],
  ['model', 'model'],
  ['attempts', 'attempts'],
  ['domain', 'domain'],
  ['routeReason', 'route_reason'],
  ['dataClass', 'data_class'],
  ['stream', 'stream'],
  ['inputTokens', 'input_tokens'],
  ['outputTokens', 'output_tokens'],
  ['cachedInputTokens', 'cached_input_tokens'],
  ['reasoningTokens', 'reasoning_tokens'],
  ['latencyMs', 'latency_ms'],
  ['ttftMs', 'ttft_ms'],
  ['computeMs', 'compute_ms'],
  ['status', 'status'],
  ['httpStatus', 'http_status'],
  ['errorCode', 'error_code'],
  ['cost', 'cost'],
  ['currency', 'currency'],
  ['costBasis', 'cost_basis'],
  ['clientRequestId', 'client_request_id'],
  ['attemptedModels', 'attempted_models'],
] as const satisfies ReadonlyArray<readonly [keyof LedgerRow, string]>;

/** Rebuilds a row from a SQL result (snake_case columns, NULL for unknown). */
export function rowFromRecord(record: Record<string, unknown>): LedgerRow {
  const row: Record<string, unknown> = {};
  for (const [field, column] of ledgerColumns) {
    const value = record[column];
    if (value === null || value === undefined) continue;
    if (field === 'stream') row[field] = value === true || value === 1;
    else if (field === 'time') row[field] = Number(value);
    else row[field] = value;
  }
  return row as LedgerRow;
}
