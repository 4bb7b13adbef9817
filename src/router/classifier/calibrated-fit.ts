import { fitTemperature } from './fit-temperature.ts';
import { seededRandom, shuffleInPlace } from '../../util/seeded-random.ts';

/** Fewer held-out examples than this make a temperature estimate noise; we keep T = 1 instead. */
export const minCalibrationExamples = 20;

export interface CalibratedFit<M> {
  model: M;
  temperature: number;
  /** Held-out examples the temperature was fitted on (0 when skipped), and the accuracy there. */
  calibration: { examples: number; accuracy: number | null };
}

/**
 * Fits the temperature on a stratified held-out share of the examples, then refits the model on
 * all of them with the same settings and keeps that temperature (as scikit-learn's
 * CalibratedClassifierCV does with ensemble=False). Shared by the hashed and embedding classifiers.
 */
export function calibratedFit<E extends { label: number }, M>(
  examples: readonly E[],
  classCount: number,
  share: number,
  seed: number,
  fit: (examples: E[]) => M,
  logitsOf: (model: M, example: E) => Float64Array,
): CalibratedFit<M> {
  const held = stratifiedHoldout(examples, classCount, share, seed);
  let temperature = 1;
  let calibration: CalibratedFit<M>['calibration'] = { examples: 0, accuracy: null };
  if (held.held.length >= minCalibrationExamples) {
    const probe = fit(held.fit);
    const logits = held.held.map((e) => logitsOf(probe, e));
    temperature = fitTemperature(logits, held.held.map((e) => e.label));
    const correct = held.held.filter((e, i) => argmax(logits[i]!) === e.label).length;
    calibration = { examples: held.held.length, accuracy: correct / held.held.length };
  }
  return { model: fit([...examples]), temperature, calibration };
}

/** Holds out `share` of each class (never a class's last example), deterministically. */
function stratifiedHoldout<E extends { label: number }>(examples: readonly E[], classCount: number, share: number, seed: number): { fit: E[]; held: E[] } {
  const random = seededRandom(seed ^ 0x5bd1e995);
  const fit: E[] = [];
  const held: E[] = [];
  for (let c = 0; c < classCount; c++) {
    const members = shuffleInPlace(examples.filter((e) => e.label === c), random);
    const count = Math.min(Math.round(members.length * share), members.length - 1);
    held.push(...members.slice(0, count));
    fit.push(...members.slice(count));
  }
  return { fit, held };
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}
