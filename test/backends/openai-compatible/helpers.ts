import { OpenAICompatibleBackend } from '../../../src/backends/openai-compatible/openai-compatible-backend.ts';
import type { StreamPart } from '../../../src/backends/types.ts';
import { openaiCompatibleModelSchema } from '../../../src/portfolio/schema.ts';
import type { OpenAICompatibleModelConfig } from '../../../src/portfolio/schema.ts';

type ConfigInput = Partial<Omit<OpenAICompatibleModelConfig, 'backend'>> & { baseURL: string };

/** A backend built from config as the portfolio loader would build it (defaults applied). */
export function backendFor(input: ConfigInput, env: NodeJS.ProcessEnv = {}): OpenAICompatibleBackend {
  const config = openaiCompatibleModelSchema.parse({ id: 'test-model', backend: 'openai-compatible', ...input });
  return new OpenAICompatibleBackend(config, env);
}

export async function collect(parts: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const out: StreamPart[] = [];
  for await (const part of parts) out.push(part);
  return out;
}

export const signal = (): AbortSignal => new AbortController().signal;

/** Waits until `check` is true, polling; fails the test after `ms`. */
export async function until(check: () => boolean, ms = 2000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
