/**
 * Servers and providers that speak OpenAI's dialect, as presets of the `openai-compatible`
 * backend: `provider: mistral` fills in baseURL, apiKeyEnv and zone unless the entry sets them.
 * One frozen list gives the names (and the schema's enum); the map is checked against it.
 */

export const openaiCompatibleProviderNames = ['openai', 'mistral', 'together', 'groq', 'ollama', 'vllm', 'llamacpp-server', 'lmstudio'] as const;
export type OpenAICompatibleProvider = (typeof openaiCompatibleProviderNames)[number];

export interface ProviderPreset {
  baseURL: string;
  /** The env var that conventionally holds the key; absent for servers that need none. */
  apiKeyEnv?: string;
  zone: 'external' | 'self-hosted';
}

export const providerPresets = {
  openai: { baseURL: 'https://api.openai.com/v1', apiKeyEnv: 'OPENAI_API_KEY', zone: 'external' },
  mistral: { baseURL: 'https://api.mistral.ai/v1', apiKeyEnv: 'MISTRAL_API_KEY', zone: 'external' },
  together: { baseURL: 'https://api.together.xyz/v1', apiKeyEnv: 'TOGETHER_API_KEY', zone: 'external' },
  groq: { baseURL: 'https://api.groq.com/openai/v1', apiKeyEnv: 'GROQ_API_KEY', zone: 'external' },
  ollama: { baseURL: 'http://127.0.0.1:11434/v1', zone: 'self-hosted' },
  vllm: { baseURL: 'http://127.0.0.1:8000/v1', zone: 'self-hosted' },
  'llamacpp-server': { baseURL: 'http://127.0.0.1:8080/v1', zone: 'self-hosted' },
  lmstudio: { baseURL: 'http://127.0.0.1:1234/v1', zone: 'self-hosted' },
} as const satisfies Record<OpenAICompatibleProvider, ProviderPreset>;

/**
 * Runs before validation: an openai-compatible entry naming a known provider gets that
 * provider's defaults for the keys it leaves out. Anything else passes through untouched, so an
 * unknown provider is reported by the schema with the list of known ones.
 */
export function withProviderPreset(entry: unknown): unknown {
  if (typeof entry !== 'object' || entry === null) return entry;
  const model = entry as Record<string, unknown>;
  if (model.backend !== 'openai-compatible' || typeof model.provider !== 'string' || !Object.hasOwn(providerPresets, model.provider)) return entry;
  const preset: ProviderPreset = providerPresets[model.provider as OpenAICompatibleProvider];
  const filled: Record<string, unknown> = { ...model };
  if (filled.baseURL === undefined) filled.baseURL = preset.baseURL;
  if (filled.apiKeyEnv === undefined && preset.apiKeyEnv !== undefined) filled.apiKeyEnv = preset.apiKeyEnv;
  if (filled.zone === undefined) filled.zone = preset.zone;
  return filled;
}
