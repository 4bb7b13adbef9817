import { UnbundleError } from '../errors.ts';
import { isProjectionName, projectionNames, type ProjectionName } from './model/projections.ts';
import { defaultTrainSettings, type TrainSettings } from './train/train-settings.ts';

/** The string flags of `unbundle tune train` that shape the run. */
export interface TrainFlags {
  rank?: string | undefined;
  alpha?: string | undefined;
  dropout?: string | undefined;
  epochs?: string | undefined;
  lr?: string | undefined;
  warmup?: string | undefined;
  batch?: string | undefined;
  'grad-accum'?: string | undefined;
  'weight-decay'?: string | undefined;
  'max-grad-norm'?: string | undefined;
  target?: string | undefined;
  seed?: string | undefined;
}

const usage = (message: string): UnbundleError => new UnbundleError('UNBUNDLE_E_USAGE', `unbundle tune train: ${message}. Run "unbundle tune train --help" for usage.`);

/** A number flag within [min, max]; `integer` rejects "1.5". */
export function numberFlag(flag: string, value: string | undefined, min: number, max: number, integer = false): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw usage(`--${flag} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

export function parseTargets(value: string | undefined): ProjectionName[] {
  if (value === undefined) return [...defaultTrainSettings.targets];
  const names = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const unknown = names.filter((name) => !isProjectionName(name));
  if (unknown.length > 0 || names.length === 0) throw usage(`--target takes a comma list of ${projectionNames.join(', ')}; "${unknown.join(',') || value}" is not one`);
  return projectionNames.filter((name) => names.includes(name));
}

export function parseTrainFlags(flags: TrainFlags): TrainSettings {
  const d = defaultTrainSettings;
  return {
    targets: parseTargets(flags.target),
    rank: numberFlag('rank', flags.rank, 1, 1024, true) ?? d.rank,
    alpha: numberFlag('alpha', flags.alpha, 0, 1e6) ?? d.alpha,
    dropout: numberFlag('dropout', flags.dropout, 0, 0.9) ?? d.dropout,
    epochs: numberFlag('epochs', flags.epochs, 1, 1000, true) ?? d.epochs,
    learningRate: numberFlag('lr', flags.lr, 1e-8, 1) ?? d.learningRate,
    warmupRatio: numberFlag('warmup', flags.warmup, 0, 0.5) ?? d.warmupRatio,
    batchSize: numberFlag('batch', flags.batch, 1, 4096, true) ?? d.batchSize,
    gradAccum: numberFlag('grad-accum', flags['grad-accum'], 1, 4096, true) ?? d.gradAccum,
    weightDecay: numberFlag('weight-decay', flags['weight-decay'], 0, 1) ?? d.weightDecay,
    maxGradNorm: numberFlag('max-grad-norm', flags['max-grad-norm'], 0, 1e6) ?? d.maxGradNorm,
    seed: numberFlag('seed', flags.seed, 0, 2 ** 32 - 1, true) ?? d.seed,
  };
}
