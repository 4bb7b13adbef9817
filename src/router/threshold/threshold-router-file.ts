import { readFileSync, writeFileSync } from 'node:fs';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { z } from 'zod';
import { UnbundleError } from '../../errors.ts';
import { LinearModel } from '../classifier/linear-model.ts';
import { ThresholdRouter } from './threshold-router.ts';

/**
 * The threshold-router file: JSON `{ format: "unbundle-threshold-router", version: 1, weakModel,
 * strongModel, threshold, features, bias, weights }`, weights int8 deflated like the domain
 * router's (four outcome classes), so a reloaded router decides bit for bit the same.
 */
export const thresholdFileFormat = 'unbundle-threshold-router';
export const thresholdFileVersion = 1;

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const fileSchema = z.object({
  format: z.literal(thresholdFileFormat),
  version: z.literal(thresholdFileVersion),
  weakModel: z.string().min(1),
  strongModel: z.string().min(1),
  threshold: z.number(),
  features: z.object({ bits: z.number().int().min(8).max(24), charMin: z.number().int().min(1).max(8), charMax: z.number().int().min(1).max(8), maxChars: z.number().int().min(64) }),
  bias: z.array(finite).length(4),
  weights: z.object({ encoding: z.literal('int8-deflate-base64'), scales: z.array(finite).length(4), data: z.string() }),
});

export function serializeThresholdRouter(router: ThresholdRouter): z.infer<typeof fileSchema> {
  const { model } = router;
  const bytes = Buffer.from(model.weights.buffer, model.weights.byteOffset, model.weights.byteLength);
  return {
    format: thresholdFileFormat,
    version: thresholdFileVersion,
    weakModel: router.weakModel,
    strongModel: router.strongModel,
    // JSON has no infinities: a router that always sends to one side keeps a finite, extreme threshold.
    threshold: Math.max(-2, Math.min(2, router.threshold)),
    features: { ...router.features },
    bias: Array.from(model.bias),
    weights: { encoding: 'int8-deflate-base64', scales: Array.from(model.scales), data: deflateRawSync(bytes, { level: 9 }).toString('base64') },
  };
}

export function saveThresholdRouter(router: ThresholdRouter, file: string): void {
  writeFileSync(file, JSON.stringify(serializeThresholdRouter(router)) + '\n');
}

/** Reads and validates a threshold-router file; errors name the file and the fix. */
export function loadThresholdRouter(file: string): ThresholdRouter {
  const fail = (reason: string, cause?: unknown): never => {
    throw new UnbundleError('UNBUNDLE_E_CONFIG', `${file}: ${reason}`, cause === undefined ? {} : { cause });
  };
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    return fail(`cannot read the threshold-router file (${reason}); create one with "unbundle route train-threshold".`, error);
  }
  const parsed = fileSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return fail(`not a version ${thresholdFileVersion} threshold-router file (${issue.path.join('.') || '(root)'}: ${issue.message}); retrain it with "unbundle route train-threshold".`);
  }
  const f = parsed.data;
  let raw: Buffer;
  try {
    raw = inflateRawSync(Buffer.from(f.weights.data, 'base64'));
  } catch (error) {
    return fail('weights.data is corrupt (it does not inflate).', error);
  }
  const expected = (1 << f.features.bits) * 4;
  if (raw.length !== expected) fail(`weights.data holds ${raw.length} values, expected ${expected}.`);
  const weights = new Int8Array(expected);
  weights.set(new Int8Array(raw.buffer, raw.byteOffset, raw.length));
  const model = new LinearModel(4, f.features.bits, weights, Float32Array.from(f.weights.scales), Float32Array.from(f.bias));
  return new ThresholdRouter({ model, features: f.features, threshold: f.threshold, weakModel: f.weakModel, strongModel: f.strongModel });
}
