import type { AnthropicModelConfig, GeminiModelConfig, LlamacppModelConfig, ModelConfig, OpenAICompatibleModelConfig } from '../portfolio/schema.ts';
import type { Backend, BackendKind } from './backend.ts';
import type { LlamaRuntime } from './llamacpp/llama-runtime.ts';

/** Things several backends share: one llama.cpp runtime (and model cache) per process. */
export interface BackendDeps {
  env: NodeJS.ProcessEnv;
  /** Created on first use, so a portfolio without local models never loads node-llama-cpp. */
  llamaRuntime(): Promise<LlamaRuntime>;
}

type Factory<C> = (config: C, deps: BackendDeps) => Promise<Backend>;

const factories = {
  llamacpp: (async (config, deps) => {
    const { LlamacppBackend } = await import('./llamacpp/llamacpp-backend.ts');
    return new LlamacppBackend(config, await deps.llamaRuntime());
  }) satisfies Factory<LlamacppModelConfig>,
  'openai-compatible': (async (config, deps) => {
    const { OpenAICompatibleBackend } = await import('./openai-compatible/openai-compatible-backend.ts');
    return new OpenAICompatibleBackend(config, deps.env);
  }) satisfies Factory<OpenAICompatibleModelConfig>,
  anthropic: (async (config, deps) => {
    const { createAnthropicBackend } = await import('./anthropic/anthropic-backend.ts');
    return createAnthropicBackend(config, deps.env);
  }) satisfies Factory<AnthropicModelConfig>,
  gemini: (async (config, deps) => {
    const { createGeminiBackend } = await import('./gemini/gemini-backend.ts');
    return createGeminiBackend(config, deps.env);
  }) satisfies Factory<GeminiModelConfig>,
} satisfies Record<BackendKind, Factory<never>>;

export function createBackend(config: ModelConfig, deps: BackendDeps): Promise<Backend> {
  switch (config.backend) {
    case 'llamacpp':
      return factories.llamacpp(config, deps);
    case 'openai-compatible':
      return factories['openai-compatible'](config, deps);
    case 'anthropic':
      return factories.anthropic(config, deps);
    case 'gemini':
      return factories.gemini(config, deps);
  }
}
