import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { buildRoutingSets, defaultDataDir, readRoutingSplit, type RoutingRow, type SplitPart } from '../../scripts/build-routing-data.ts';
import { DomainClassifier } from '../../src/router/classifier/domain-classifier.ts';
import { evaluateClassifier } from '../../src/router/classifier/evaluate-classifier.ts';
import { loadRouter, saveRouter } from '../../src/router/classifier/router-file.ts';
import { trainDomainClassifier } from '../../src/router/classifier/train-domain-classifier.ts';

/**
 * The targets on the committed routing split (built from ../shared/data; this fails, not skips,
 * when the data is missing). Test: ≥ 95% accuracy. Held-out sources the classifier never trains
 * on (HumanEval's raw Python prompts, MT-Bench math and coding questions): ≥ 85%, a looser bar
 * because the training set holds no raw source code at all. Measured: 95.5% and 95.1%.
 */
const targets = { testAccuracy: 0.95, testMacroF1: 0.9, holdoutAccuracy: 0.85 };

describe('domain routing on the open-data split', () => {
  let sets: Record<SplitPart, RoutingRow[]>;
  let classifier: DomainClassifier;

  before(() => {
    sets = buildRoutingSets(defaultDataDir(), readRoutingSplit());
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'unbundle-routing-')), 'router.json');
    // Evaluate what users get: the model as saved and loaded, not the in-memory one.
    saveRouter(trainDomainClassifier(sets.train), file);
    const loaded = loadRouter(file);
    assert.ok(loaded instanceof DomainClassifier);
    classifier = loaded;
  });

  it('the split is the committed one and keeps test and held-out sources apart from training', () => {
    assert.deepEqual({ train: sets.train.length, test: sets.test.length, holdout: sets.holdout.length }, { train: 6311, test: 2457, holdout: 184 });
    const trainTexts = new Set(sets.train.map((r) => r.text.trim().toLowerCase().replace(/\s+/g, ' ')));
    assert.equal(sets.test.filter((r) => trainTexts.has(r.text.trim().toLowerCase().replace(/\s+/g, ' '))).length, 0);
    const trainSources = new Set(sets.train.map((r) => r.source));
    assert.deepEqual([...new Set(sets.holdout.map((r) => r.source))].filter((s) => trainSources.has(s)), []);
    assert.deepEqual([...new Set(sets.train.map((r) => r.domain))].sort(), ['code', 'finance', 'knowledge', 'math', 'support', 'writing']);
  });

  it(`reaches ${targets.testAccuracy * 100}% accuracy on the test split`, (t) => {
    const report = evaluateClassifier(classifier, sets.test);
    t.diagnostic(`test accuracy ${report.accuracy.toFixed(4)}, macro-F1 ${report.macroF1.toFixed(4)}, ECE ${report.expectedCalibrationError.toFixed(4)}`);
    assert.ok(report.accuracy >= targets.testAccuracy, `accuracy ${report.accuracy}`);
    assert.ok(report.macroF1 >= targets.testMacroF1, `macro-F1 ${report.macroF1}`);
    assert.ok(report.expectedCalibrationError < 0.05, `calibration error ${report.expectedCalibrationError}`);
  });

  it(`holds ${targets.holdoutAccuracy * 100}% on sources it never trained on`, (t) => {
    const report = evaluateClassifier(classifier, sets.holdout);
    const bySource = new Map<string, [number, number]>();
    for (const row of sets.holdout) {
      const tally = bySource.get(row.source) ?? [0, 0];
      if (classifier.predict(row.text).best === row.domain) tally[0]++;
      tally[1]++;
      bySource.set(row.source, tally);
    }
    t.diagnostic(`held-out accuracy ${report.accuracy.toFixed(4)}: ${[...bySource].map(([s, [ok, n]]) => `${s} ${ok}/${n}`).join(', ')}`);
    assert.ok(report.accuracy >= targets.holdoutAccuracy, `held-out accuracy ${report.accuracy}`);
  });
});
