import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveMetrics } from '../../src/eval/metric-registry.ts';
import { extractNumber, numbersMatch } from '../../src/eval/metrics/numeric.ts';
import type { SuiteItem } from '../../src/eval/suite-schema.ts';

describe('numeric answer extraction', () => {
  const cases: Array<[string, number | undefined]> = [
    ['18', 18],
    ['$1,234.50', 1234.5],
    ['She makes $18 every day.\n#### 18', 18],
    ['#### 1,000', 1000],
    ['The answer is 18 dollars.', 18],
    ['The answer is: **42**. Then 7 more steps were checked.', 42],
    ['Final answer: \\boxed{3.5}', 3.5],
    ['It takes 2/2=1 bolt, so 2+1=3 bolts in total', 3],
    ['Temperature fell to −5 °C', -5], // U+2212 minus sign
    ['a loss of -12.5%', -12.5],
    ['about 50%', 50],
    ['3/4 of the cake', 0.75],
    ['5-3 = 2', 2], // "-" between digits is not a sign
    ['１８ apples', 18], // full-width digits
    ['1,2345', 2345], // not a thousands group: two numbers
    ['€ 2,500 per month', 2500],
    ['.5 litres', 0.5],
    ['', undefined],
    ['no numbers here', undefined],
  ];
  for (const [text, expected] of cases) {
    it(`reads ${JSON.stringify(text)} as ${String(expected)}`, () => {
      assert.equal(extractNumber(text), expected);
    });
  }

  it('compares within absolute and relative tolerances', () => {
    assert.equal(numbersMatch(0.333, 1 / 3, { absolute: 0.001 }), true);
    assert.equal(numbersMatch(0.33, 1 / 3, { absolute: 0.001 }), false);
    assert.equal(numbersMatch(101, 100, { absolute: 0, relative: 0.01 }), true);
    assert.equal(numbersMatch(102, 100, { absolute: 0, relative: 0.01 }), false);
    assert.equal(numbersMatch(0.1 + 0.2, 0.3), true); // default 1e-6 absorbs float error
  });
});

describe('numeric metric', () => {
  const item: SuiteItem = { id: 'g1', input: 'How much?', reference: '1,000' };

  it('scores the extracted number against the reference number', async () => {
    const [metric] = resolveMetrics(['numeric']);
    assert.deepEqual(await metric!.score('So the total is $1,000.00', item, {}), { score: 1, detail: { extracted: 1000, expected: 1000 } });
    assert.deepEqual(await metric!.score('', item, {}), { score: 0, detail: { extracted: null, expected: 1000 } });
    assert.equal((await metric!.score('999', item, {})).score, 0);
  });

  it('uses the tolerance options', async () => {
    const [metric] = resolveMetrics([{ metric: 'numeric', relativeTolerance: 0.01 }]);
    assert.equal((await metric!.score('about 995', item, {})).score, 1);
    assert.equal((await metric!.score('about 980', item, {})).score, 0);
  });

  it('rejects a reference without a number and a negative tolerance', () => {
    const [metric] = resolveMetrics(['numeric']);
    assert.match(metric!.checkItem({ ...item, reference: 'many' })!.message, /holds no number/);
    assert.throws(() => resolveMetrics([{ metric: 'numeric', absoluteTolerance: -1 }]), /metrics\[0\]\.absoluteTolerance/);
    assert.throws(() => resolveMetrics([{ metric: 'numeric', tolerance: 1 }]), /metrics\[0\]\.tolerance: not an option of numeric/);
  });
});
