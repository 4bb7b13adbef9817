import { readFileSync, writeFileSync } from 'node:fs';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { z } from 'zod';
import { UnbundleError } from '../../errors.ts';
import { DomainClassifier } from './domain-classifier.ts';
import { EmbeddingClassifier } from './embedding-classifier.ts';
import { LinearModel } from './linear-model.ts';

/**
 * The router file: JSON, `{ format: "unbundle-router", version: 1, kind, ... }`.
 *  - kind "hashed-ngram": the model's int8 weights (see LinearModel) deflated and base64-encoded;
 *    2^18 buckets over six domains is ~0.65 MB, and loading gives back the very same bytes.
 *  - kind "embedding": float32 weights over the embedding dimensions, plus the portfolio id of
 *    the embedding model they were trained on.
 */
export const routerFileFormat = 'unbundle-router';
export const routerFileVersion = 1;

/** Either classifier a router file can hold. */
export type RouterClassifier = DomainClassifier | EmbeddingClassifier;

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const common = {
  format: z.literal(routerFileFormat),
  version: z.literal(routerFileVersion),
  domains: z.array(z.string().min(1)).min(2),
  threshold: z.number().min(0).max(1),
  temperature: finite.refine((t) => t > 0, 'must be above 0'),
  bias: z.array(finite),
  training: z
    .object({
      examples: z.number(),
      perDomain: z.record(z.string(), z.number()),
      calibration: z.object({ examples: z.number(), accuracy: z.number().nullable() }),
      trainedAt: z.string(),
    })
    .optional(),
};

const fileSchema = z.discriminatedUnion('kind', [
  z.object({
    ...common,
    kind: z.literal('hashed-ngram'),
    features: z.object({
      bits: z.number().int().min(8).max(24),
      charMin: z.number().int().min(1).max(8),
      charMax: z.number().int().min(1).max(8),
      maxChars: z.number().int().min(64),
    }),
    weights: z.object({ encoding: z.literal('int8-deflate-base64'), scales: z.array(finite), data: z.string() }),
  }),
  z.object({
    ...common,
    kind: z.literal('embedding'),
    embedModel: z.string().min(1),
    dimensions: z.number().int().positive(),
    weights: z.object({ encoding: z.literal('float32-base64'), data: z.string() }),
  }),
]);

export type RouterFile = z.infer<typeof fileSchema>;

export function serializeRouter(classifier: RouterClassifier): RouterFile {
  const head: Pick<RouterFile, 'format' | 'version' | 'domains' | 'threshold' | 'temperature' | 'training'> = {
    format: routerFileFormat,
    version: routerFileVersion,
    domains: [...classifier.domains],
    threshold: classifier.threshold,
    temperature: classifier.temperature,
    ...(classifier.training ? { training: classifier.training } : {}),
  };
  if (classifier instanceof EmbeddingClassifier) {
    const { weights } = classifier;
    return {
      ...head,
      kind: 'embedding',
      embedModel: classifier.embedModel,
      dimensions: classifier.dimensions,
      bias: Array.from(classifier.bias),
      weights: { encoding: 'float32-base64', data: Buffer.from(weights.buffer, weights.byteOffset, weights.byteLength).toString('base64') },
    };
  }
  const { model } = classifier;
  const bytes = Buffer.from(model.weights.buffer, model.weights.byteOffset, model.weights.byteLength);
  return {
    ...head,
    kind: 'hashed-ngram',
    features: { ...classifier.features },
    bias: Array.from(model.bias),
    weights: { encoding: 'int8-deflate-base64', scales: Array.from(model.scales), data: deflateRawSync(bytes, { level: 9 }).toString('base64') },
  };
}

/** Validates a parsed router file; `source` names it in errors. */
export function parseRouter(value: unknown, source: string): RouterClassifier {
  const fail = (reason: string, cause?: unknown): never => {
    throw new UnbundleError('UNBUNDLE_E_CONFIG', `${source}: ${reason}`, cause === undefined ? {} : { cause });
  };
  const head = (value ?? {}) as { format?: unknown; version?: unknown };
  if (typeof value !== 'object' || head.format !== routerFileFormat) {
    fail(`not an unbundle router file (expected "format": "${routerFileFormat}"); create one with "unbundle route train --data examples.jsonl --out router.json".`);
  }
  if (head.version !== routerFileVersion) {
    fail(`router file version ${JSON.stringify(head.version)} is not supported; this unbundle reads version ${routerFileVersion}. Retrain it with this version's "unbundle route train".`);
  }
  const parsed = fileSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return fail(`invalid router file at ${issue.path.join('.') || '(root)'}: ${issue.message}.`);
  }
  const file = parsed.data;
  const k = file.domains.length;
  if (new Set(file.domains).size !== k) fail('domains must be unique.');
  if (file.bias.length !== k) fail(`bias must hold one value per domain (${k}).`);
  const common = { domains: file.domains, temperature: file.temperature, threshold: file.threshold, ...(file.training ? { training: file.training } : {}) };

  if (file.kind === 'embedding') {
    const raw = Buffer.from(file.weights.data, 'base64');
    const expected = file.dimensions * k;
    if (raw.length !== expected * 4) fail(`weights.data holds ${Math.floor(raw.length / 4)} values, expected ${expected} (${file.dimensions} dimensions x ${k} domains).`);
    const weights = new Float32Array(expected);
    new Uint8Array(weights.buffer).set(raw);
    return new EmbeddingClassifier({ ...common, embedModel: file.embedModel, dimensions: file.dimensions, weights, bias: Float32Array.from(file.bias) });
  }

  if (file.features.charMax < file.features.charMin) fail('features.charMax must be at least features.charMin.');
  if (file.weights.scales.length !== k) fail(`weights.scales must hold one value per domain (${k}).`);
  let raw: Buffer;
  try {
    raw = inflateRawSync(Buffer.from(file.weights.data, 'base64'));
  } catch (error) {
    return fail('weights.data is corrupt (it does not inflate); the file was damaged or edited by hand.', error);
  }
  const expected = (1 << file.features.bits) * k;
  if (raw.length !== expected) fail(`weights.data holds ${raw.length} values, expected ${expected} (2^${file.features.bits} buckets x ${k} domains).`);
  // Copy out of the pooled inflate buffer so the model owns aligned, private memory.
  const weights = new Int8Array(expected);
  weights.set(new Int8Array(raw.buffer, raw.byteOffset, raw.length));
  const model = new LinearModel(k, file.features.bits, weights, Float32Array.from(file.weights.scales), Float32Array.from(file.bias));
  return new DomainClassifier({ ...common, model, features: file.features });
}

export function saveRouter(classifier: RouterClassifier, file: string): void {
  writeFileSync(file, JSON.stringify(serializeRouter(classifier)) + '\n');
}

/** Reads and validates a router file written by `unbundle route train`. */
export function loadRouter(file: string): RouterClassifier {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new UnbundleError('UNBUNDLE_E_CONFIG', `Cannot read the router file ${file}: ${reason}. Create one with "unbundle route train".`, { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UnbundleError('UNBUNDLE_E_CONFIG', `${file}: not valid JSON (${(error as Error).message}).`, { cause: error });
  }
  return parseRouter(value, file);
}
