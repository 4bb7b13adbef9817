import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JudgeModel } from '../../src/eval/metric.ts';
import { resolveMetrics } from '../../src/eval/metric-registry.ts';
import { judgeMessages, parseRating, renderRubric } from '../../src/eval/metrics/llm-judge.ts';
import type { SuiteItem, SuiteMessage } from '../../src/eval/suite-schema.ts';

function fakeJudge(id: string, reply: string, seen: SuiteMessage[][] = []): JudgeModel {
  return {
    id,
    async generate(messages) {
      seen.push(messages);
      return reply;
    },
  };
}

const item: SuiteItem = { id: 'q', input: 'What is 2+2?', reference: '4' };

describe('rating parsing', () => {
  const cases: Array<[string, number | undefined]> = [
    ['The answer is right. Rating: [[8]]', 8],
    ['Rating: [[ 7.5 ]]', 7.5],
    ['Score: 6', 6],
    ['I would give it 9/10.', 9],
    ['3', 3],
    ['Score: 11', undefined], // outside the scale
    ['', undefined],
    ['Great answer!', undefined],
  ];
  for (const [reply, expected] of cases) {
    it(`reads ${JSON.stringify(reply)} as ${String(expected)}`, () => assert.equal(parseRating(reply, 1, 10), expected));
  }
});

describe('llm-judge metric', () => {
  it('fills the rubric, scales the rating to 0..1 and records the judge', async () => {
    const seen: SuiteMessage[][] = [];
    const [metric] = resolveMetrics(['llm-judge']);
    const result = await metric!.score('four', item, { judges: new Map([['big', fakeJudge('big', 'Correct. Rating: [[10]]', seen)]]) });
    assert.equal(result.score, 1);
    assert.equal(result.detail?.judge, 'big');
    assert.equal(result.detail?.parsed, true);
    const prompt = seen[0]![0]!.content;
    assert.match(prompt, /What is 2\+2\?/);
    assert.match(prompt, /four/);
    assert.match(prompt, /\[The Start of Reference Answer\]\n4\n/);
  });

  it('uses a custom rubric and scale', async () => {
    const [metric] = resolveMetrics([{ metric: 'llm-judge', judge: 'b', rubric: 'Q: {{input}} A: {{prediction}} ({{min}}-{{max}})', min: 0, max: 4 }]);
    const judges = new Map([
      ['a', fakeJudge('a', 'Score: 0')],
      ['b', fakeJudge('b', 'Score: 3')],
    ]);
    const result = await metric!.score('4', item, { judges });
    assert.equal(result.score, 0.75);
    assert.equal(result.detail?.judge, 'b');
    assert.equal(renderRubric('{{input}} {{typo}}', { input: 'x' }), 'x {{typo}}');
    assert.equal(judgeMessages('{{prediction}}', item, '', { min: 1, max: 10 })[0]!.content, '');
  });

  it('scores an unreadable verdict 0 and flags it', async () => {
    const [metric] = resolveMetrics(['llm-judge']);
    const result = await metric!.score('4', item, { judges: new Map([['j', fakeJudge('j', 'I cannot decide.')]]) });
    assert.deepEqual([result.score, result.detail?.parsed, result.detail?.rating], [0, false, null]);
  });

  it('fails clearly when no judge or the wrong judge is given', async () => {
    const [metric] = resolveMetrics([{ metric: 'llm-judge', judge: 'missing' }]);
    await assert.rejects(Promise.resolve(metric!.score('4', item, { judges: new Map() })), { code: 'UNBUNDLE_E_MODEL_NOT_FOUND' });
    const [anyJudge] = resolveMetrics(['llm-judge']);
    await assert.rejects(Promise.resolve(anyJudge!.score('4', item, {})), /name the judge/);
    assert.throws(() => resolveMetrics([{ metric: 'llm-judge', min: 5, max: 5 }]), /max must be greater than min/);
  });
});
