import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultFeatureOptions, FeatureExtractor } from '../../../src/router/classifier/text-features.ts';

const copy = (fx: FeatureExtractor, text: string): { buckets: number[]; wordCount: number; charCount: number } => {
  const f = fx.extract(text);
  return { buckets: Array.from(f.buckets.subarray(0, f.wordCount + f.charCount)), wordCount: f.wordCount, charCount: f.charCount };
};

test('the same text always gives the same features, also from a fresh extractor', () => {
  const text = 'Write a Python function that sums a list.';
  const a = copy(new FeatureExtractor(), text);
  const fx = new FeatureExtractor();
  fx.extract('something else entirely');
  assert.deepEqual(copy(fx, text), a);
  assert.ok(a.wordCount > 0 && a.charCount > 0);
  const mask = (1 << defaultFeatureOptions.bits) - 1;
  assert.ok(a.buckets.every((b) => b >= 0 && b <= mask));
});

test('case, digits and whitespace runs are normalised away', () => {
  const fx = new FeatureExtractor();
  assert.deepEqual(copy(fx, 'I paid 16 dollars\tfor   EGGS'), copy(fx, 'i paid 24 dollars for eggs'));
  assert.equal(fx.normalisedText('  Hello\n\n  World 42 '), ' hello\nworld 00 ');
  assert.notDeepEqual(copy(fx, 'a b'), copy(fx, 'a\nb'), 'a line break is kept apart from a space');
  assert.equal(fx.normalisedText('ÉCOLE Straße ΣΟΦΙΑ İ'), ' école straße σοφια İ ');
});

test('each feature counts once per prompt', () => {
  const fx = new FeatureExtractor();
  const once = copy(fx, 'loan');
  const repeated = copy(fx, 'loan loan loan loan');
  // Repeats add only the cross-word n-grams ("loan loan", "n l", ...), never duplicates.
  assert.equal(new Set(repeated.buckets).size, repeated.buckets.length);
  assert.ok(once.buckets.every((b) => repeated.buckets.includes(b)));
});

test('word features come first: unigrams and bigrams', () => {
  const fx = new FeatureExtractor({ ...defaultFeatureOptions, charMin: 3, charMax: 3 });
  const spans: number[] = [];
  const f = fx.extract('red fox', spans);
  const text = fx.normalisedText('red fox');
  const names = Array.from({ length: f.wordCount + f.charCount }, (_, i) => text.slice(spans[2 * i]!, spans[2 * i + 1]!));
  assert.deepEqual(names.slice(0, f.wordCount), ['red', 'fox', 'red fox']);
  assert.deepEqual(names.slice(f.wordCount), [' re', 'red', 'ed ', 'd f', ' fo', 'fox', 'ox ']);
});

test('a long prompt is read at its head and its tail only', () => {
  const fx = new FeatureExtractor({ ...defaultFeatureOptions, maxChars: 400 });
  const head = 'alpha '.repeat(60);
  const tail = ' omega'.repeat(20);
  const long = `${head}${'middle '.repeat(500)}${tail}`;
  const text = fx.normalisedText(long);
  assert.ok(text.length <= 404, `read ${text.length} characters`);
  assert.ok(text.startsWith(' alpha alpha'));
  assert.ok(text.trimEnd().endsWith('omega omega'));
  assert.ok(!text.includes('middle middle middle middle middle middle middle'.repeat(10)));
});

test('an empty or blank prompt yields no features and does not throw', () => {
  const fx = new FeatureExtractor();
  assert.deepEqual(copy(fx, ''), { buckets: [], wordCount: 0, charCount: 0 });
  assert.equal(copy(fx, '   ').wordCount, 0);
});

test('the seen-table reset after many prompts keeps results identical', () => {
  const fx = new FeatureExtractor({ ...defaultFeatureOptions, bits: 10 });
  const first = copy(fx, 'stable text 1');
  for (let i = 0; i < 400; i++) fx.extract(`filler ${i} text`);
  assert.deepEqual(copy(fx, 'stable text 1'), first);
});
