import path from 'node:path';
import { loadPortfolioFile, parsePortfolio, type LoadedPortfolio } from './load-portfolio.ts';

export interface ResolveOptions {
  /** --config, else UNBUNDLE_CONFIG. */
  configPath?: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  stderr: NodeJS.WritableStream;
  /** Download a default model when the model folder is empty (serve: yes; models: no). */
  download: boolean;
}

/**
 * The portfolio a command runs on: the config file when one is named, otherwise the embedded
 * defaults — every LoRA-free .gguf in UNBUNDLE_MODEL_DIR (default ./models) becomes a local model,
 * and an empty folder gets a small default instruct model downloaded into it.
 */
export async function resolvePortfolio(options: ResolveOptions): Promise<LoadedPortfolio> {
  const configPath = options.configPath ?? options.env.UNBUNDLE_CONFIG;
  if (configPath !== undefined && configPath !== '') return loadPortfolioFile(path.resolve(options.cwd, configPath));
  const modelDir = path.resolve(options.cwd, options.env.UNBUNDLE_MODEL_DIR ?? 'models');
  const { ensureLocalModels } = await import('./download-default-model.ts');
  const models = await ensureLocalModels(modelDir, { env: options.env, stderr: options.stderr, download: options.download });
  const source = `embedded defaults (models from ${modelDir})`;
  return { portfolio: parsePortfolio({ models }, source, modelDir), source };
}
