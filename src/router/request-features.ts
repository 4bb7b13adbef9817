/**
 * What the router reads of a request: extracted once per routed request by the server
 * (src/server/extract-request-features.ts), so the router itself never touches the wire format.
 */
export interface RequestFeatures {
  /** The last user message's text (a completion's prompt); what the classifier reads. */
  lastUserText: string;
  /** Estimated prompt tokens over every message: characters / `charsPerToken`, rounded up. */
  promptTokens: number;
  hasTools: boolean;
  hasImages: boolean;
  /** response_format json_object or json_schema. */
  json: boolean;
  /** OpenAI's `metadata` object, as sent. */
  metadata?: Readonly<Record<string, unknown>> | undefined;
  /** OpenAI's `user` field. */
  user?: string | undefined;
  /** The request headers (rules read only `x-unbundle-*`). */
  headers?: Readonly<Record<string, string | string[] | undefined>> | undefined;
  /** The caller's tenant, once access control has set it. */
  tenantId?: string | undefined;
  /** The prompt's embedding, when the classifier is an embedding router (computed outside the router). */
  embedding?: Float32Array | undefined;
}

/** The token estimate rules use: a rough 4 characters per token for English text. */
export const charsPerToken = 4;

export function estimateTokens(chars: number): number {
  return Math.ceil(chars / charsPerToken);
}

/** Features for a single text, as `route explain` and benches use them. */
export function featuresOfText(text: string, extra: Partial<RequestFeatures> = {}): RequestFeatures {
  return { lastUserText: text, promptTokens: estimateTokens(text.length), hasTools: false, hasImages: false, json: false, ...extra };
}
