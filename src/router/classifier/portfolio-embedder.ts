import { UnbundleError } from '../../errors.ts';
import { ModelRegistry } from '../../portfolio/model-registry.ts';
import { resolvePortfolio } from '../../portfolio/resolve-portfolio.ts';

export interface TextEmbedder {
  embed(texts: readonly string[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}

export interface PortfolioEmbedderOptions {
  configPath: string | undefined;
  env: NodeJS.ProcessEnv;
  cwd: string;
  stderr: NodeJS.WritableStream;
  /** Texts per embedding request. */
  batchSize?: number;
}

/**
 * Embeds texts with one model of the portfolio (any backend that can embed: a local GGUF model,
 * or an OpenAI-compatible server). Used by the `route` commands for the embedding classifier; the
 * gateway itself embeds through its executor.
 */
export async function openPortfolioEmbedder(modelId: string, options: PortfolioEmbedderOptions): Promise<TextEmbedder> {
  const { portfolio, source } = await resolvePortfolio({ configPath: options.configPath, env: options.env, cwd: options.cwd, stderr: options.stderr, download: false });
  const registry = await ModelRegistry.create(portfolio, options.env);
  const entry = registry.get(modelId);
  const embed = entry?.backend.embed?.bind(entry.backend);
  if (!embed) {
    await registry.close();
    const known = registry.ids().join(', ') || '(none)';
    throw new UnbundleError(
      'UNBUNDLE_E_USAGE',
      entry
        ? `Model "${modelId}" in ${source} cannot embed; pick a model with embeddings (for llamacpp models, "embeddings: true").`
        : `--embed-model "${modelId}" is not a model of ${source} (models: ${known}); pass --config with the portfolio that has it.`,
    );
  }
  const batchSize = options.batchSize ?? 16;
  return {
    async embed(texts) {
      const vectors: Float32Array[] = [];
      for (let start = 0; start < texts.length; start += batchSize) {
        const batch = texts.slice(start, start + batchSize);
        const result = await embed({ input: [...batch] }, AbortSignal.timeout(600_000));
        if (result.embeddings.length !== batch.length) {
          throw new UnbundleError('UNBUNDLE_E_UPSTREAM_MALFORMED', `Model "${modelId}" returned ${result.embeddings.length} embeddings for ${batch.length} texts.`);
        }
        for (const vector of result.embeddings) vectors.push(Float32Array.from(vector));
      }
      return vectors;
    },
    close: () => registry.close(),
  };
}
