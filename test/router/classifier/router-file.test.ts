import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { UnbundleError } from '../../../src/errors.ts';
import { DomainClassifier } from '../../../src/router/classifier/domain-classifier.ts';
import { loadRouter, parseRouter, saveRouter, serializeRouter } from '../../../src/router/classifier/router-file.ts';
import { trainDomainClassifier } from '../../../src/router/classifier/train-domain-classifier.ts';
import { toyExamples } from '../toy-domains.ts';

const classifier = trainDomainClassifier(toyExamples(80), { features: { bits: 14 }, threshold: 0.6 });
const dir = mkdtempSync(path.join(tmpdir(), 'unbundle-router-file-'));

function configError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof UnbundleError, String(error));
    assert.equal(error.code, 'UNBUNDLE_E_CONFIG');
    assert.match(error.message, pattern);
    return true;
  });
}

test('save and load round-trip gives identical predictions and settings', () => {
  const file = path.join(dir, 'router.json');
  saveRouter(classifier, file);
  const loaded = loadRouter(file);
  assert.ok(loaded instanceof DomainClassifier);
  assert.deepEqual(loaded.domains, classifier.domains);
  assert.equal(loaded.threshold, 0.6);
  assert.equal(loaded.temperature, classifier.temperature);
  assert.deepEqual(loaded.features, classifier.features);
  assert.deepEqual(loaded.training, classifier.training);
  for (const example of toyExamples(10, 3)) assert.deepEqual(loaded.predict(example.text), classifier.predict(example.text));
  const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  assert.equal(saved.format, 'unbundle-router');
  assert.equal(saved.version, 1);
  assert.ok(statSync(file).size < 64 * 1024, `a 2^14-bucket file is ${statSync(file).size} bytes`);
});

test('a file that is not a router, or of another version, is refused with the fix', () => {
  configError(() => parseRouter({ format: 'something-else' }, 'x.json'), /x\.json: not an unbundle router file.*unbundle route train/);
  configError(() => parseRouter([1, 2], 'x.json'), /not an unbundle router file/);
  configError(() => parseRouter({ ...serializeRouter(classifier), version: 2 }, 'x.json'), /router file version 2 is not supported; this unbundle reads version 1/);
});

test('damaged fields are named', () => {
  const good = serializeRouter(classifier);
  assert.ok(good.kind === 'hashed-ngram');
  configError(() => parseRouter({ ...good, threshold: 3 }, 'r.json'), /invalid router file at threshold/);
  configError(() => parseRouter({ ...good, bias: [1] }, 'r.json'), /r\.json: bias must hold one value per domain \(3\)/);
  configError(() => parseRouter({ ...good, weights: { ...good.weights, scales: [1, 2] } }, 'r.json'), /weights\.scales must hold one value per domain \(3\)/);
  configError(() => parseRouter({ ...good, kind: 'neural' }, 'r.json'), /invalid router file at kind/);
  configError(() => parseRouter({ ...good, domains: ['a', 'a', 'b'] }, 'r.json'), /domains must be unique/);
  configError(() => parseRouter({ ...good, weights: { ...good.weights, data: 'AAAA' } }, 'r.json'), /weights\.data (is corrupt|holds \d+ values, expected 49152)/);
  configError(() => parseRouter({ ...good, features: { ...good.features, bits: 15 } }, 'r.json'), /expected 98304 \(2\^15 buckets x 3 domains\)/);
});

test('loading names a missing file and a file that is not JSON', () => {
  configError(() => loadRouter(path.join(dir, 'missing.json')), /Cannot read the router file .*missing\.json: file not found/);
  const broken = path.join(dir, 'broken.json');
  writeFileSync(broken, '{"format": "unbundle-router",');
  configError(() => loadRouter(broken), /broken\.json: not valid JSON/);
});
