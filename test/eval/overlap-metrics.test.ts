import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveMetrics } from '../../src/eval/metric-registry.ts';
import { longestCommonSubsequence, rougeL } from '../../src/eval/metrics/rouge-l.ts';
import { tokenF1 } from '../../src/eval/metrics/token-f1.ts';
import { tokenize } from '../../src/eval/normalize.ts';

const words = (text: string) => text.split(' ');

describe('token F1', () => {
  it('matches hand-computed overlaps', () => {
    // [cat sat on mat] vs [cat on mat]: 3 common, P = 3/4, R = 1, F1 = 6/7.
    assert.equal(tokenF1(tokenize('The cat sat on the mat.', { dropArticles: true }), tokenize('a cat on a mat', { dropArticles: true })), 6 / 7);
    assert.equal(tokenF1(words('a b c'), words('a b c')), 1);
    assert.equal(tokenF1(words('x y'), words('a b')), 0);
    // Repeated tokens count once per occurrence: [a a a] vs [a b]: 1 common, P = 1/3, R = 1/2, F1 = 0.4.
    assert.ok(Math.abs(tokenF1(words('a a a'), words('a b')) - 0.4) < 1e-12);
  });

  it('handles empty answers and unicode', () => {
    assert.equal(tokenF1([], []), 1);
    assert.equal(tokenF1([], ['a']), 0);
    assert.equal(tokenF1(['a'], []), 0);
    // 我 爱 北 京 vs 我 爱 上 海: 2 of 4 characters in common, F1 = 0.5.
    assert.equal(tokenF1(tokenize('我爱北京'), tokenize('我爱上海')), 0.5);
  });

  it('takes the best reference through the registry', async () => {
    const [metric] = resolveMetrics(['token-f1']);
    const result = await metric!.score('Barack Obama', { id: 'x', input: 'q', reference: ['President Obama', 'Barack Obama'] }, {});
    assert.equal(result.score, 1);
  });
});

describe('ROUGE-L', () => {
  it('computes the longest common subsequence', () => {
    assert.equal(longestCommonSubsequence(words('a b c d e'), words('a c e')), 3);
    assert.equal(longestCommonSubsequence(words('a b'), words('c d')), 0);
    assert.equal(longestCommonSubsequence([], words('a')), 0);
  });

  it('matches the classic examples', () => {
    // LCS = police ... the gunman (3 of 4 each side): P = R = F = 0.75.
    assert.equal(rougeL(words('police killed the gunman'), words('police kill the gunman')), 0.75);
    // Word order matters: LCS = "the gunman" (2 of 4): F = 0.5.
    assert.equal(rougeL(words('the gunman kill police'), words('police kill the gunman')), 0.5);
    // P = 2/2, R = 2/4, F = 2/3.
    assert.ok(Math.abs(rougeL(words('police gunman'), words('police kill the gunman')) - 2 / 3) < 1e-12);
  });

  it('handles empty texts and unicode', async () => {
    assert.equal(rougeL([], []), 1);
    assert.equal(rougeL([], ['a']), 0);
    const [metric] = resolveMetrics(['rouge-l']);
    assert.equal((await metric!.score('', { id: 'x', input: 'q', reference: 'something' }, {})).score, 0);
    assert.equal((await metric!.score('Ça va très bien', { id: 'x', input: 'q', reference: 'ça va bien' }, {})).score, (2 * 0.75 * 1) / 1.75);
  });
});
