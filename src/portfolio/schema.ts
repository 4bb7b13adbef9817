import { z } from 'zod';
import { httpToken, managedHeaders, unsafeHeaderText } from '../backends/http/http-header-rules.ts';
import { fallbackIssues, healthCheckField, modelResilienceFields, resilienceSchema } from '../executor/resilience-schema.ts';
import { authSchema, tenantIssues, tenantsSchema } from '../access/access-schema.ts';
import { costConfigIssues, ledgerSchema, modelCostFields } from '../ledger/cost-schema.ts';
import { openaiCompatibleProviderNames, withProviderPreset } from './provider-presets.ts';
import { policySchema } from '../policy/policy-schema.ts';
import { captureSchema } from '../tune/capture/capture-schema.ts';
import { modelRouteFields, routerSchema, routingConfigIssues } from '../router/routing-schema.ts';

/**
 * The portfolio config: one zod schema whose inferred type *is* the config type. Every object is
 * strict, so a misspelt key is an error that names its path rather than a silently ignored line.
 */

const id = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/, {
    message: 'must start with a letter or digit and use only letters, digits, ".", "_", ":", "/" and "-" (at most 128 characters)',
  });

/** `local`, `self-hosted`, `external`, or a named zone such as `eu-cloud`. */
const zone = z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, {
  message: 'must be local, self-hosted, external, or a lower-case name such as eu-cloud',
});

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
  message: 'must be the NAME of an environment variable (secrets never go in the config file itself)',
});

const positiveInt = z.number().int().positive();

export const serverSchema = z
  .strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8080),
    /** Largest accepted request body in bytes. */
    bodyLimit: positiveInt.default(4 * 1024 * 1024),
    /** How long in-flight requests may run after SIGINT/SIGTERM before they are cut. */
    shutdownGraceMs: z.number().int().min(0).default(10_000),
    /** Total time allowed for one request unless the request says otherwise. */
    requestTimeoutMs: positiveInt.default(600_000),
    /** Time allowed to receive a request's headers (slow-loris guard). */
    headersTimeoutMs: positiveInt.default(10_000),
    /** Time allowed to receive a whole request, headers and body (a slow body is cut with 408). */
    bodyTimeoutMs: positiveInt.default(60_000),
    /**
     * Answer plain HTTP/1.1 requests with unbundle's own server code (src/server/http/), handing
     * anything unusual to node:http; false sends every connection through node:http.
     */
    fastHttp: z.boolean().default(true),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .prefault({});

const commonModelFields = {
  id,
  /** Free text for people (`unbundle models`, the dashboard). */
  description: z.string().optional(),
  /** What a request costs on this model (docs/costs.md): API prices, or your machine's costs. */
  ...modelCostFields,
  /** Retries, fallbacks, breaker, deadlines and hedging for this model (docs/executor.md). */
  ...modelResilienceFields,
  /** What the router knows of this model: domains, quality per domain, price (docs/routing.md). */
  ...modelRouteFields,
};

export const llamacppModelSchema = z.strictObject({
  ...commonModelFields,
  backend: z.literal('llamacpp'),
  path: z.string().min(1),
  lora: z.string().min(1).optional(),
  loraScale: z.number().positive().default(1),
  zone: zone.default('local'),
  /** CPU threads for generation; default: the real core count. */
  threads: positiveInt.optional(),
  contextSize: positiveInt.max(16_777_216).default(2048),
  /** Concurrent sequences served by this model (batched together). */
  parallel: positiveInt.max(64).default(4),
  /** Requests allowed to wait for a free sequence; beyond this, 429. */
  queueLimit: z.number().int().min(0).default(64),
  /** Offload to a GPU when one is present. */
  gpu: z.union([z.literal('auto'), z.literal(false), z.enum(['cuda', 'vulkan', 'metal'])], { error: 'must be false (CPU only), auto (a GPU when one is found), cuda, vulkan or metal' }).default(false),
  /** Serve /v1/embeddings from this model. */
  embeddings: z.boolean().default(true),
  /** Default max_tokens when a request does not set one. */
  defaultMaxTokens: positiveInt.default(512),
});

/** Extra headers for an upstream: names that are HTTP tokens, values on one line. */
const upstreamHeaders = z
  .record(z.string(), z.string())
  .default({})
  .superRefine((headers, ctx) => {
    for (const [name, value] of Object.entries(headers)) {
      if (!httpToken.test(name)) {
        ctx.addIssue({ code: 'custom', path: [name], message: `"${name}" is not a valid HTTP header name — use letters, digits and - (no spaces or colons)` });
      } else if (managedHeaders.has(name.toLowerCase())) {
        ctx.addIssue({ code: 'custom', path: [name], message: `unbundle sets ${name.toLowerCase()} itself — remove it from headers` });
      }
      if (unsafeHeaderText.test(value)) ctx.addIssue({ code: 'custom', path: [name], message: 'a header value must be one line (no line breaks or NUL)' });
    }
  });

/** Connection settings shared by every HTTP backend. */
const httpUpstreamFields = {
  /** Extra headers sent upstream (not secrets: use apiKeyEnv for those). */
  headers: upstreamHeaders,
  /** Keep-alive connections held open to the upstream. */
  connections: positiveInt.default(128),
  /** Default: resilience.timeouts.connectMs (10 s). */
  connectTimeoutMs: positiveInt.optional(),
  /** Longest wait for the upstream's response headers (time to first byte). */
  firstByteTimeoutMs: positiveInt.default(120_000),
  /** Longest gap between two body chunks while streaming. */
  idleTimeoutMs: positiveInt.default(60_000),
  /** Largest answer read from the upstream (a whole JSON answer, or a whole stream), in bytes. */
  maxResponseBytes: positiveInt.max(512 * 1024 * 1024, { message: 'must be at most 536870912 (512 MiB): a larger answer cannot be held as one string' }).default(128 * 1024 * 1024),
};

export const openaiCompatibleModelSchema = z.strictObject({
  ...commonModelFields,
  backend: z.literal('openai-compatible'),
  /** A known server or provider whose baseURL, apiKeyEnv and zone fill in what is not set. */
  provider: z.enum(openaiCompatibleProviderNames).optional(),
  baseURL: z.url({ protocol: /^https?$/, message: 'must be a full http:// or https:// URL such as http://127.0.0.1:8000/v1 (or set provider: openai, mistral, ollama, …)' }),
  apiKeyEnv: envName.optional(),
  /** Name sent upstream; default: the id. */
  model: z.string().min(1).optional(),
  zone: zone.default('external'),
  ...httpUpstreamFields,
  ...healthCheckField,
});

export const anthropicModelSchema = z.strictObject({
  ...commonModelFields,
  backend: z.literal('anthropic'),
  baseURL: z.url({ protocol: /^https?$/, message: 'must be a full http:// or https:// URL such as https://api.anthropic.com' }).default('https://api.anthropic.com'),
  apiKeyEnv: envName.default('ANTHROPIC_API_KEY'),
  /** Anthropic's model name, e.g. claude-sonnet-4-0; default: the id. */
  model: z.string().min(1).optional(),
  /** The `anthropic-version` header. */
  anthropicVersion: z.string().min(1).default('2023-06-01'),
  /** max_tokens when a request sets none (Anthropic requires one). */
  defaultMaxTokens: positiveInt.default(4096),
  zone: zone.default('external'),
  ...httpUpstreamFields,
});

export const geminiModelSchema = z.strictObject({
  ...commonModelFields,
  backend: z.literal('gemini'),
  baseURL: z.url({ protocol: /^https?$/, message: 'must be a full http:// or https:// URL such as https://generativelanguage.googleapis.com/v1beta' }).default('https://generativelanguage.googleapis.com/v1beta'),
  apiKeyEnv: envName.default('GEMINI_API_KEY'),
  /** Gemini's model name, e.g. gemini-2.5-flash; default: the id. */
  model: z.string().min(1).optional(),
  zone: zone.default('external'),
  ...httpUpstreamFields,
});

const modelUnion = z.discriminatedUnion('backend', [llamacppModelSchema, openaiCompatibleModelSchema, anthropicModelSchema, geminiModelSchema]);

/** What a model entry may look like before presets apply: with a `provider`, baseURL is optional. */
type ModelInput =
  | Exclude<z.input<typeof modelUnion>, { backend: 'openai-compatible' }>
  | (Omit<z.input<typeof openaiCompatibleModelSchema>, 'baseURL'> & { baseURL?: string });

// The preprocess step would make the input type `unknown`; state it, so typed configs stay checked.
export const modelSchema = z.preprocess(withProviderPreset, modelUnion) as unknown as z.ZodType<z.output<typeof modelUnion>, ModelInput>;

export const portfolioSchema = z
  .strictObject({
    server: serverSchema,
    models: z.array(modelSchema).default([]),
    ledger: ledgerSchema,
    resilience: resilienceSchema,
    auth: authSchema,
    tenants: tenantsSchema,
    /** Data sovereignty (docs/policy.md); absent: no scanning at all. */
    policy: policySchema.optional(),
    /** `model: "auto"` and virtual models (docs/routing.md). */
    router: routerSchema.optional(),
    /** Opt-in capture of traffic as fine-tuning data (docs/tune.md). */
    capture: captureSchema,
  })
  .superRefine((portfolio, ctx) => {
    for (const issue of tenantIssues(portfolio.tenants)) ctx.addIssue({ code: 'custom', ...issue });
    if (portfolio.auth.mode === 'keys' && portfolio.tenants.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['tenants'], message: 'auth.mode is keys but no tenants are configured — every key belongs to a tenant: add e.g. tenants: [{ id: default, models: ["*"] }]' });
    }
    for (const issue of costConfigIssues(portfolio)) ctx.addIssue({ code: 'custom', ...issue });
    for (const issue of fallbackIssues(portfolio.models)) ctx.addIssue({ code: 'custom', ...issue });
    for (const issue of routingConfigIssues(portfolio)) ctx.addIssue({ code: 'custom', ...issue });
    const seen = new Map<string, number>();
    portfolio.models.forEach((model, index) => {
      const first = seen.get(model.id);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['models', index, 'id'],
          message: `duplicate model id "${model.id}" (also models[${first}].id): give each model its own id`,
        });
      } else seen.set(model.id, index);
    });
  });

export type Portfolio = z.infer<typeof portfolioSchema>;
export type PortfolioInput = z.input<typeof portfolioSchema>;
export type ServerConfig = Portfolio['server'];
export type ModelConfig = Portfolio['models'][number];
export type LlamacppModelConfig = z.infer<typeof llamacppModelSchema>;
export type OpenAICompatibleModelConfig = z.infer<typeof openaiCompatibleModelSchema>;
export type AnthropicModelConfig = z.infer<typeof anthropicModelSchema>;
export type GeminiModelConfig = z.infer<typeof geminiModelSchema>;
