import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError, describeIssue } from './config-error.ts';
import { portfolioSchema, type Portfolio, type PortfolioInput } from './schema.ts';
import { readGgufHeaderSync } from './gguf-header.ts';

export interface LoadedPortfolio {
  portfolio: Portfolio;
  /** Where it came from, for messages: a file path or "embedded defaults". */
  source: string;
}

/** Validates an already-parsed config object; `baseDir` resolves relative model paths. */
export function parsePortfolio(raw: unknown, source: string, baseDir: string): Portfolio {
  const result = portfolioSchema.safeParse(raw ?? {});
  if (!result.success) {
    throw new ConfigError(source, result.error.issues.map((issue) => describeIssue(issue, raw)));
  }
  const portfolio = result.data;
  const problems: string[] = [];
  portfolio.models.forEach((model, index) => {
    if (model.backend !== 'llamacpp') model.connectTimeoutMs ??= portfolio.resilience.timeouts.connectMs;
    if (model.backend !== 'llamacpp') return;
    model.path = path.resolve(baseDir, model.path);
    const pathProblems = checkFile(model.path, `models[${index}].path`);
    problems.push(...(pathProblems.length > 0 ? pathProblems : checkGgufKind(model.path, `models[${index}].path`, 'model')));
    if (model.lora !== undefined) {
      model.lora = path.resolve(baseDir, model.lora);
      const loraProblems = checkFile(model.lora, `models[${index}].lora`);
      problems.push(...(loraProblems.length > 0 ? loraProblems : checkGgufKind(model.lora, `models[${index}].lora`, 'adapter')));
    }
  });
  const audit = portfolio.policy?.audit;
  if (audit?.file !== undefined) audit.file = path.resolve(baseDir, audit.file);
  const names = portfolio.policy?.detectors.personNames;
  if (names?.file !== undefined) {
    names.file = path.resolve(baseDir, names.file);
    problems.push(...checkFile(names.file, 'policy.detectors.personNames.file', 'a text file with one name per line'));
  }
  // Router files, like model files, are resolved from the config file's folder and must exist.
  const router = portfolio.router;
  if (router?.classifier !== undefined) {
    router.classifier = path.resolve(baseDir, router.classifier);
    problems.push(...checkFile(router.classifier, 'router.classifier', 'a router file written by "unbundle route train"'));
  }
  for (const [name, vm] of Object.entries(router?.virtualModels ?? {})) {
    if (vm.strategy !== 'threshold') continue;
    vm.file = path.resolve(baseDir, vm.file);
    problems.push(...checkFile(vm.file, `router.virtualModels.${name}.file`, 'a file written by "unbundle route train-threshold"'));
  }
  if (problems.length > 0) throw new ConfigError(source, problems);
  return deepFreeze(portfolio);
}

function checkFile(file: string, where: string, want = 'a .gguf file'): string[] {
  if (!existsSync(file)) {
    return [`${where}: file not found: ${file} — check the path (relative paths are resolved from the config file's folder)`];
  }
  if (!statSync(file).isFile()) return [`${where}: ${file} is not a file — point it at ${want}`];
  return [];
}

/**
 * A model given as an adapter, or an adapter given as a model, is named now rather than at the
 * first request. Only files whose GGUF header reads are judged; a broken file is left to the model
 * load, which explains what is wrong with it.
 */
function checkGgufKind(file: string, where: string, want: 'model' | 'adapter'): string[] {
  let header: ReturnType<typeof readGgufHeaderSync>;
  try {
    header = readGgufHeaderSync(file);
  } catch {
    return [];
  }
  if (want === 'model' && header.isAdapter) return [`${where}: ${file} is a LoRA adapter, not a model — set path to its base model's .gguf and give this file as lora:`];
  if (want === 'adapter' && !header.isAdapter) return [`${where}: ${file} is a model, not a LoRA adapter — lora: takes an adapter .gguf made for the model in path`];
  return [];
}

/**
 * Reads a config file's YAML (or JSON) into plain data, with line-numbered syntax errors. Shared
 * by `serve` (full validation) and the commands that only need parts of the config.
 */
export function readConfigDocument(absolute: string): unknown {
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new ConfigError(absolute, [`cannot read the config file: ${reason} — pass an existing file with --config or UNBUNDLE_CONFIG`], error);
  }
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new ConfigError(
      absolute,
      document.errors.map((e) => `YAML syntax error at line ${e.linePos?.[0]?.line ?? '?'}, column ${e.linePos?.[0]?.col ?? '?'}: ${e.message.split('\n')[0]}`),
    );
  }
  const raw = document.toJS() as unknown;
  if (raw !== null && raw !== undefined && (typeof raw !== 'object' || Array.isArray(raw))) {
    throw new ConfigError(absolute, ['the file must hold a mapping with "server" and "models" keys']);
  }
  return raw;
}

/** Reads and validates a portfolio YAML (or JSON) file. */
export function loadPortfolioFile(file: string): LoadedPortfolio {
  const absolute = path.resolve(file);
  const raw = readConfigDocument(absolute);
  return { portfolio: parsePortfolio(raw, absolute, path.dirname(absolute)), source: absolute };
}

/** Builds a portfolio from an in-memory object (tests, embedded defaults). */
export function portfolioFromObject(raw: PortfolioInput, source = 'inline config', baseDir = process.cwd()): Portfolio {
  return parsePortfolio(raw, source, baseDir);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
