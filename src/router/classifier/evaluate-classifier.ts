import type { DomainClassifier } from './domain-classifier.ts';
import type { LabelledExample } from './labelled-data.ts';

export interface DomainMetrics {
  precision: number;
  recall: number;
  f1: number;
  /** Test examples whose true domain this is. */
  support: number;
}

export interface EvaluationReport {
  examples: number;
  /** Share of examples whose most likely domain is the true one (the threshold plays no part). */
  accuracy: number;
  /** Unweighted mean of per-domain F1 over the domains present in the data or the predictions. */
  macroF1: number;
  perDomain: Record<string, DomainMetrics>;
  /** rows: true domain, columns: predicted domain, both in `labels` order. */
  confusion: { labels: string[]; matrix: number[][] };
  /** What the unsure threshold does on this data. */
  unsure: { threshold: number; count: number; rate: number; accuracyWhenSure: number | null };
  /** Expected calibration error over 10 equal-width confidence bins (0 is perfect). */
  expectedCalibrationError: number;
  /** Domains in the data that the classifier was never trained on (always counted as errors). */
  unknownDomains: string[];
}

const bins = 10;

/** What evaluation needs from a classifier (the hashed one, the embedding one, or a test stub). */
export type DomainPredictor = Pick<DomainClassifier, 'domains' | 'threshold' | 'predict'>;

export function evaluateClassifier(classifier: DomainPredictor, examples: readonly LabelledExample[]): EvaluationReport {
  const known = new Set(classifier.domains);
  const unknownDomains = [...new Set(examples.map((e) => e.domain).filter((d) => !known.has(d)))].sort();
  const labels = [...classifier.domains, ...unknownDomains];
  const index = new Map(labels.map((label, i) => [label, i]));
  const matrix = labels.map(() => labels.map(() => 0));
  const binCount = new Array<number>(bins).fill(0);
  const binConfidence = new Array<number>(bins).fill(0);
  const binCorrect = new Array<number>(bins).fill(0);
  let correct = 0;
  let unsure = 0;
  let sureCorrect = 0;

  for (const example of examples) {
    const prediction = classifier.predict(example.text);
    const hit = prediction.best === example.domain;
    matrix[index.get(example.domain)!]![index.get(prediction.best)!]!++;
    if (hit) correct++;
    if (prediction.domain !== prediction.best) unsure++;
    else if (hit) sureCorrect++;
    const bin = Math.min(bins - 1, Math.floor(prediction.confidence * bins));
    binCount[bin]!++;
    binConfidence[bin]! += prediction.confidence;
    if (hit) binCorrect[bin]!++;
  }

  const perDomain: Record<string, DomainMetrics> = {};
  // Like scikit-learn: macro-F1 averages over domains that occur in the data or in the predictions.
  const present: string[] = [];
  for (const label of labels) {
    const i = index.get(label)!;
    const truePositive = matrix[i]![i]!;
    const support = matrix[i]!.reduce((sum, n) => sum + n, 0);
    const predicted = matrix.reduce((sum, row) => sum + row[i]!, 0);
    const precision = predicted > 0 ? truePositive / predicted : 0;
    const recall = support > 0 ? truePositive / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    perDomain[label] = { precision, recall, f1, support };
    if (support > 0 || predicted > 0) present.push(label);
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    if (binCount[b]! > 0) ece += (binCount[b]! / examples.length) * Math.abs(binCorrect[b]! / binCount[b]! - binConfidence[b]! / binCount[b]!);
  }
  const sure = examples.length - unsure;
  return {
    examples: examples.length,
    accuracy: examples.length > 0 ? correct / examples.length : 0,
    macroF1: present.length > 0 ? present.reduce((sum, label) => sum + perDomain[label]!.f1, 0) / present.length : 0,
    perDomain,
    confusion: { labels, matrix },
    unsure: { threshold: classifier.threshold, count: unsure, rate: examples.length > 0 ? unsure / examples.length : 0, accuracyWhenSure: sure > 0 ? sureCorrect / sure : null },
    expectedCalibrationError: ece,
    unknownDomains,
  };
}
