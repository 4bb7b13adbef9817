import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DomainPrediction } from '../../../src/router/classifier/domain-classifier.ts';
import { evaluateClassifier, type DomainPredictor } from '../../../src/router/classifier/evaluate-classifier.ts';

/** A stub whose answer is written in the prompt: "<predicted> <confidence>". */
const stub: DomainPredictor = {
  domains: ['a', 'b'],
  threshold: 0.6,
  predict(text: string): DomainPrediction {
    const [best, p] = text.split(' ') as [string, string];
    const confidence = Number(p);
    const other = best === 'a' ? 'b' : 'a';
    return { domain: confidence >= 0.6 ? best : 'unsure', best, confidence, scores: { [best]: confidence, [other]: 1 - confidence } };
  },
};

test('accuracy, per-domain precision/recall/F1, macro-F1 and the confusion matrix', () => {
  const report = evaluateClassifier(stub, [
    { text: 'a 0.9', domain: 'a' },
    { text: 'a 0.9', domain: 'a' },
    { text: 'b 0.7', domain: 'a' },
    { text: 'b 0.9', domain: 'b' },
    { text: 'a 0.55', domain: 'b' },
  ]);
  assert.equal(report.examples, 5);
  assert.equal(report.accuracy, 3 / 5);
  assert.deepEqual(report.confusion, { labels: ['a', 'b'], matrix: [[2, 1], [1, 1]] });
  assert.deepEqual(report.perDomain.a, { precision: 2 / 3, recall: 2 / 3, f1: 2 / 3, support: 3 });
  assert.deepEqual(report.perDomain.b, { precision: 1 / 2, recall: 1 / 2, f1: 1 / 2, support: 2 });
  assert.ok(Math.abs(report.macroF1 - (2 / 3 + 1 / 2) / 2) < 1e-12);
  assert.deepEqual(report.unsure, { threshold: 0.6, count: 1, rate: 0.2, accuracyWhenSure: 3 / 4 });
  // bins: 0.5 -> [0.55 wrong], 0.7 -> [0.7 wrong], 0.9 -> 3 right at 0.9
  const ece = (1 / 5) * 0.55 + (1 / 5) * 0.7 + (3 / 5) * Math.abs(1 - 0.9);
  assert.ok(Math.abs(report.expectedCalibrationError - ece) < 1e-12, `${report.expectedCalibrationError} vs ${ece}`);
  assert.deepEqual(report.unknownDomains, []);
});

test('domains the classifier never saw are reported and counted as errors', () => {
  const report = evaluateClassifier(stub, [
    { text: 'a 0.9', domain: 'a' },
    { text: 'a 0.9', domain: 'legal' },
  ]);
  assert.deepEqual(report.unknownDomains, ['legal']);
  assert.deepEqual(report.confusion.labels, ['a', 'b', 'legal']);
  assert.equal(report.accuracy, 0.5);
  assert.equal(report.perDomain.legal!.recall, 0);
  // b never occurs nor is predicted, so macro-F1 averages a (2/3) and legal (0).
  assert.ok(Math.abs(report.macroF1 - 1 / 3) < 1e-12);
});
