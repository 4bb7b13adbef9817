import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveMetrics } from '../../src/eval/metric-registry.ts';
import { extractChoice, goldLetter } from '../../src/eval/metrics/choice.ts';
import type { SuiteItem } from '../../src/eval/suite-schema.ts';

const cities = ['London', 'Paris', 'Rome', 'Berlin'];

describe('multiple-choice letter extraction', () => {
  const cases: Array<[string, string | undefined]> = [
    ['B', 'B'],
    ['b', 'B'],
    ['(c)', 'C'],
    ['D.', 'D'],
    ['The answer is (D).', 'D'],
    ['Answer: a', 'A'],
    ['**Answer:** C', 'C'],
    ['The correct answer is: B', 'B'],
    ['I think A is wrong; the correct option is C', 'C'],
    ['A good choice would be B', 'B'],
    ['B. Paris is the capital of France.', 'B'],
    ['Ｂ', 'B'], // full-width letter
    ['A or B', undefined], // two candidates: no answer
    ['', undefined],
    ['I do not know', undefined],
    ['E', undefined], // past the last of four options
  ];
  for (const [reply, expected] of cases) {
    it(`reads ${JSON.stringify(reply)} as ${expected ?? 'no answer'}`, () => {
      assert.equal(extractChoice(reply), expected);
    });
  }

  it('falls back to the text of exactly one option', () => {
    assert.equal(extractChoice('Paris', cities), 'B');
    assert.equal(extractChoice('It must be rome.', cities), 'C');
    assert.equal(extractChoice('Either Rome or Berlin', cities), undefined);
  });

  it('allows more options when the item has them', () => {
    assert.equal(extractChoice('F', ['1', '2', '3', '4', '5', '6']), 'F');
  });

  it('reads the gold letter from a letter or from an option text', () => {
    assert.equal(goldLetter({ reference: 'c' }), 'C');
    assert.equal(goldLetter({ reference: 'Berlin', choices: cities }), 'D');
    assert.equal(goldLetter({ reference: 'Madrid', choices: cities }), undefined);
  });
});

describe('choice metric', () => {
  const [metric] = resolveMetrics(['choice']);
  const item: SuiteItem = { id: 'q1', input: 'Capital of France?', choices: cities, reference: 'B' };

  it('scores 1 for the right letter and records what it extracted', async () => {
    assert.deepEqual(await metric!.score('The answer is B', item, {}), { score: 1, detail: { extracted: 'B', gold: 'B' } });
    assert.deepEqual(await metric!.score('', item, {}), { score: 0, detail: { extracted: null, gold: 'B' } });
    assert.equal((await metric!.score('Paris', item, {})).score, 1);
  });

  it('rejects items whose reference is not an option', () => {
    assert.match(metric!.checkItem({ ...item, reference: 'Z' })!.message, /past the last/);
    assert.match(metric!.checkItem({ ...item, reference: 'Madrid' })!.message, /option letter/);
    assert.equal(metric!.checkItem({ ...item, reference: undefined })!.field, 'reference');
  });
});
