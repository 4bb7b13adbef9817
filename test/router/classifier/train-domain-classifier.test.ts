import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UnbundleError } from '../../../src/errors.ts';
import { trainDomainClassifier } from '../../../src/router/classifier/train-domain-classifier.ts';
import { toyDomains, toyExamples } from '../toy-domains.ts';

const small = { features: { bits: 14 } };

test('learns separable domains and predicts unseen prompts with calibrated scores', () => {
  const classifier = trainDomainClassifier(toyExamples(60), small);
  assert.deepEqual(classifier.domains, toyDomains);
  const held = toyExamples(20, 99);
  const correct = held.filter((e) => classifier.predict(e.text).best === e.domain).length;
  assert.ok(correct / held.length >= 0.95, `accuracy ${correct}/${held.length}`);

  const p = classifier.predict('My python function throws an exception in the parser');
  assert.equal(p.domain, 'code');
  assert.equal(p.best, 'code');
  assert.deepEqual(Object.keys(p.scores).sort(), toyDomains);
  const sum = Object.values(p.scores).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-9, `scores sum to ${sum}`);
  assert.equal(p.confidence, p.scores.code);
  assert.ok(p.confidence > 0.5 && p.confidence < 1);
});

test('the temperature is fitted on held-out examples and recorded', () => {
  const classifier = trainDomainClassifier(toyExamples(80), small);
  assert.ok(classifier.temperature > 0 && classifier.temperature !== 1, `temperature ${classifier.temperature}`);
  const training = classifier.training!;
  assert.equal(training.examples, 240);
  assert.deepEqual(training.perDomain, { billing: 80, code: 80, cooking: 80 });
  assert.equal(training.calibration.examples, 24);
  assert.ok(training.calibration.accuracy !== null && training.calibration.accuracy > 0.9);
});

test('too few examples to calibrate keep temperature 1', () => {
  const classifier = trainDomainClassifier(toyExamples(10), small);
  assert.equal(classifier.temperature, 1);
  assert.deepEqual(classifier.training!.calibration, { examples: 0, accuracy: null });
});

test('below the threshold the answer is "unsure", with the best guess kept', () => {
  const classifier = trainDomainClassifier(toyExamples(60), { ...small, threshold: 0.999 });
  const vague = classifier.predict('hello');
  assert.equal(vague.domain, 'unsure');
  assert.ok(toyDomains.includes(vague.best));
  assert.ok(vague.confidence < 0.999);
  const never = classifier.withThreshold(0).predict('hello');
  assert.equal(never.domain, never.best);
  assert.equal(never.confidence, vague.confidence);
});

test('training is deterministic for a seed and changes with it', () => {
  const a = trainDomainClassifier(toyExamples(30), { ...small, linear: { seed: 5 } });
  const b = trainDomainClassifier(toyExamples(30), { ...small, linear: { seed: 5 } });
  const c = trainDomainClassifier(toyExamples(30), { ...small, linear: { seed: 6 } });
  assert.deepEqual(a.model.weights, b.model.weights);
  assert.equal(a.temperature, b.temperature);
  assert.notDeepEqual(a.model.weights, c.model.weights);
});

test('a rare domain is still learned (class weighting)', () => {
  const examples = toyExamples(80).filter((e, i) => e.domain !== 'cooking' || i % 10 === 2);
  const rare = examples.filter((e) => e.domain === 'cooking').length;
  assert.ok(rare <= 10, `${rare} cooking examples`);
  const classifier = trainDomainClassifier(examples, small);
  const held = toyExamples(10, 123).filter((e) => e.domain === 'cooking');
  const recalled = held.filter((e) => classifier.predict(e.text).best === 'cooking').length;
  assert.ok(recalled >= 8, `recalled ${recalled}/${held.length}`);
});

test('explain names the n-grams behind a decision', () => {
  const classifier = trainDomainClassifier(toyExamples(60), small);
  const explanation = classifier.explain('the refund was charged twice', 5);
  assert.equal(explanation.prediction.best, 'billing');
  assert.equal(explanation.for.length, 5);
  assert.ok(explanation.for.every((f, i) => f.weight > 0 && (i === 0 || f.weight <= explanation.for[i - 1]!.weight)));
  assert.ok(explanation.against.every((f) => f.weight < 0));
  assert.ok(explanation.for.some((f) => /refund|charged|twice/.test(f.feature)), JSON.stringify(explanation.for));
});

test('bad training input is refused with a reason', () => {
  assert.throws(
    () => trainDomainClassifier([{ text: 'a', domain: 'x' }, { text: 'b', domain: 'x' }]),
    (e: unknown) => e instanceof UnbundleError && e.code === 'UNBUNDLE_E_DATA' && /at least two domains; found only "x"/.test(e.message),
  );
  assert.throws(
    () => trainDomainClassifier(toyExamples(5), { features: { bits: 30 }, threshold: 2 }),
    (e: unknown) => e instanceof UnbundleError && e.code === 'UNBUNDLE_E_USAGE' && /bits must be[^;]*; threshold must be between 0 and 1/.test(e.message),
  );
});
