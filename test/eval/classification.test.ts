import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveMetrics } from '../../src/eval/metric-registry.ts';
import { extractLabel, labelKey, macroF1 } from '../../src/eval/metrics/classification.ts';
import type { SuiteItem } from '../../src/eval/suite-schema.ts';

const labels = ['card_arrival', 'card_linking', 'lost_or_stolen_card'];

describe('label extraction', () => {
  it('reads a label however it is written', () => {
    assert.equal(labelKey('Card-Arrival'), 'card arrival');
    assert.equal(extractLabel('card_arrival', labels), 'card arrival');
    assert.equal(extractLabel('Card arrival.', labels), 'card arrival');
    assert.equal(extractLabel('The intent is lost_or_stolen_card.', labels), 'lost or stolen card');
  });

  it('gives no known label for none, two, or an empty reply', () => {
    assert.equal(extractLabel('card_arrival or card_linking', labels), 'card arrival or card linking');
    assert.equal(extractLabel('', labels), '');
    assert.equal(extractLabel('no idea', labels), 'no idea');
  });
});

describe('macro-F1', () => {
  it('matches a hand-computed case', () => {
    // a: P 1/2 R 1/2 F 1/2; b: P 1/2 R 1 F 2/3; c: F 0 → (1/2 + 2/3 + 0) / 3 = 7/18.
    const pairs = [
      { gold: 'a', predicted: 'a' },
      { gold: 'a', predicted: 'b' },
      { gold: 'b', predicted: 'b' },
      { gold: 'c', predicted: 'a' },
    ];
    assert.ok(Math.abs(macroF1(pairs) - 7 / 18) < 1e-12);
  });

  it('averages over the declared labels, counting unseen ones as 0', () => {
    const pairs = [{ gold: 'a', predicted: 'a' }];
    assert.equal(macroF1(pairs), 1);
    assert.equal(macroF1(pairs, ['a', 'b']), 0.5);
    assert.equal(macroF1([{ gold: 'a', predicted: 'garbage' }], ['a', 'b']), 0);
    assert.ok(Number.isNaN(macroF1([])));
  });
});

describe('classification metric', () => {
  const [metric] = resolveMetrics([{ metric: 'classification', labels }]);
  const item = (reference: string): SuiteItem => ({ id: reference, input: 'text', reference });

  it('scores accuracy per item and macro-F1 over the suite', async () => {
    const results = [
      await metric!.score('card_arrival', item('card_arrival'), {}),
      await metric!.score('Card linking', item('card_arrival'), {}),
      await metric!.score('card_linking', item('card_linking'), {}),
      await metric!.score('', item('lost_or_stolen_card'), {}),
    ];
    assert.deepEqual(results.map((result) => result.score), [1, 0, 1, 0]);
    // arrival: P 1 R 1/2 F 2/3; linking: P 1/2 R 1 F 2/3; lost: 0 → 4/9.
    assert.ok(Math.abs(metric!.corpus(results).macroF1! - 4 / 9) < 1e-12);
  });

  it('rejects a gold label outside the label list', () => {
    assert.match(metric!.checkItem(item('refund'))!.message, /not one of the metric's labels/);
    assert.equal(metric!.checkItem(item('Card Arrival')), undefined);
  });
});
