import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeText, stripCodeFence, tokenize } from '../../src/eval/normalize.ts';
import { contains } from '../../src/eval/metrics/contains.ts';
import { exactMatch } from '../../src/eval/metrics/exact-match.ts';
import { regexMatch } from '../../src/eval/metrics/regex.ts';
import { resolveMetrics } from '../../src/eval/metric-registry.ts';
import type { SuiteItem } from '../../src/eval/suite-schema.ts';

const item = (fields: Partial<SuiteItem>): SuiteItem => ({ id: 't', input: 'q', ...fields });

describe('normalisation', () => {
  it('folds case, punctuation, spacing and Unicode compatibility forms', () => {
    assert.equal(normalizeText('  Hello,   World!  '), 'hello world');
    assert.equal(normalizeText('１２３ ＡＢＣ'), '123 abc'); // full-width forms
    assert.equal(normalizeText('ﬁne'), 'fine'); // ligature
    assert.equal(normalizeText('end.Next'), 'end next');
    assert.equal(normalizeText('The cat', { dropArticles: true }), 'cat');
    assert.equal(normalizeText('Case', { caseSensitive: true }), 'Case');
    assert.equal(normalizeText(''), '');
  });

  it('keeps symbols and diacritics: they change meaning', () => {
    assert.equal(normalizeText('$5 + 3%'), '$5 + 3'); // % is Unicode punctuation (Po), $ and + are symbols
    assert.notEqual(normalizeText('café'), normalizeText('cafe'));
  });

  it('tokenizes CJK per character and other scripts per word', () => {
    assert.deepEqual(tokenize('我爱北京'), ['我', '爱', '北', '京']);
    assert.deepEqual(tokenize('Привет, мир!'), ['привет', 'мир']);
    assert.deepEqual(tokenize('naïve café'), ['naïve', 'café']);
    assert.deepEqual(tokenize(''), []);
  });

  it('strips one code fence', () => {
    assert.equal(stripCodeFence('Here:\n```json\n{"a":1}\n```\nDone'), '{"a":1}\n');
    assert.equal(stripCodeFence('plain'), 'plain');
  });
});

describe('exact-match', () => {
  it('matches after normalisation, against any reference', () => {
    assert.equal(exactMatch('  PARIS. ', ['Paris']), 1);
    assert.equal(exactMatch('Paris, France', ['Paris']), 0);
    assert.equal(exactMatch('Lyon', ['Paris', 'lyon']), 1);
    assert.equal(exactMatch('Ｐａｒｉｓ', ['Paris']), 1);
  });

  it('scores an empty answer 0 unless the reference is empty too', () => {
    assert.equal(exactMatch('', ['Paris']), 0);
    assert.equal(exactMatch('', ['']), 1);
    assert.equal(exactMatch('...', ['']), 1); // punctuation only normalises to nothing
  });

  it('honours caseSensitive through the registry', async () => {
    const [strict] = resolveMetrics([{ metric: 'exact-match', caseSensitive: true }]);
    assert.equal((await strict!.score('paris', item({ reference: 'Paris' }), {})).score, 0);
    assert.equal((await strict!.score('Paris', item({ reference: 'Paris' }), {})).score, 1);
  });
});

describe('contains', () => {
  it('finds a reference as whole words by default', () => {
    assert.equal(contains('The capital is Paris.', ['paris']), 1);
    assert.equal(contains('It is 42.', ['4']), 0);
    assert.equal(contains('It is 42.', ['4'], { wholeWords: false }), 1);
    assert.equal(contains('New York City', ['new york']), 1);
  });

  it('never matches an empty reference and handles an empty answer', () => {
    assert.equal(contains('anything', ['']), 0);
    assert.equal(contains('', ['x']), 0);
  });

  it('works on non-Latin text', () => {
    assert.equal(contains('答案是北京。', ['北京'], { wholeWords: false }), 1);
    assert.equal(contains('Ответ: Москва', ['москва']), 1);
  });
});

describe('regex', () => {
  it('matches the pattern option or the item reference', async () => {
    assert.equal(regexMatch('Order #12345 shipped', /#\d{5}\b/), 1);
    assert.equal(regexMatch('', /^$/), 1);
    const [byOption, byReference] = resolveMetrics([{ metric: 'regex', pattern: '^yes\\b', flags: 'i' }, 'regex']);
    assert.equal((await byOption!.score('Yes, it is', item({}), {})).score, 1);
    assert.equal((await byOption!.score('no', item({}), {})).score, 0);
    assert.equal((await byReference!.score('id: AB-12', item({ reference: '[A-Z]{2}-\\d+' }), {})).score, 1);
  });

  it('rejects an invalid pattern or the stateful g flag when the header is read', () => {
    assert.throws(() => resolveMetrics([{ metric: 'regex', pattern: '(' }]), /metrics\[0\]\.pattern: not a valid regular expression/);
    assert.throws(() => resolveMetrics([{ metric: 'regex', pattern: 'a', flags: 'g' }]), /metrics\[0\]\.flags/);
  });

  it('reports an item whose reference is not a valid pattern', () => {
    const [metric] = resolveMetrics(['regex']);
    assert.deepEqual(metric!.checkItem(item({ reference: '[unclosed' }))?.field, 'reference');
    assert.equal(metric!.checkItem(item({}))?.field, 'reference');
  });
});
