import type { Backend } from '../backends/backend.ts';
import type { JudgeModel } from './metric.ts';

export interface JudgeSettings {
  /** Default 0: a judge should grade the same answer the same way twice. */
  temperature?: number;
  maxTokens?: number;
}

/** Wraps any portfolio backend as an LLM-as-judge model. */
export function judgeFromBackend(backend: Backend, settings: JudgeSettings = {}): JudgeModel {
  return {
    id: backend.modelId,
    async generate(messages, signal) {
      const result = await backend.generate(
        { kind: 'chat', messages, temperature: settings.temperature ?? 0, maxTokens: settings.maxTokens ?? 512 },
        signal ?? new AbortController().signal,
      );
      return result.text;
    },
  };
}
