import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { loadBanking77 } from '../../src/eval/loaders/banking77.ts';
import { gsm8kFinalAnswer, loadGsm8k } from '../../src/eval/loaders/gsm8k.ts';
import { loadHumanEval } from '../../src/eval/loaders/humaneval.ts';
import { loadMbpp } from '../../src/eval/loaders/mbpp.ts';
import { loadMmlu, mmluPrompt } from '../../src/eval/loaders/mmlu.ts';
import { scoreItem } from '../../src/eval/metric-registry.ts';
import { sharedData } from '../helpers/paths.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'unbundle-loaders-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('MMLU loader', () => {
  it('reads every subject of the shared copy in the release prompt format', async () => {
    const suite = await loadMmlu(sharedData('mmlu'));
    assert.equal(suite.items.length, 4548);
    assert.deepEqual(suite.metrics.map((metric) => metric.label), ['choice']);
    const item = suite.items.find((candidate) => candidate.input === 'What is the value of p in 24 = 2p?\nA. p = 4\nB. p = 8\nC. p = 12\nD. p = 24\nAnswer:');
    assert.ok(item, 'the elementary_mathematics question is there, formatted as in the MMLU release');
    assert.equal(item.reference, 'C');
    assert.equal(item.domain, 'math');
    assert.deepEqual(item.metadata, { subject: 'elementary_mathematics' });
    assert.deepEqual(new Set(suite.items.map((entry) => entry.domain)), new Set(['finance', 'code', 'math', 'general']));
  });

  it('filters subjects and limits rows, and names an unknown subject', async () => {
    const suite = await loadMmlu(sharedData('mmlu', 'test'), { subjects: ['global_facts', 'marketing'], limit: 3 });
    assert.equal(suite.items.length, 6);
    assert.equal(suite.items[0]!.id, 'mmlu/global_facts/1');
    await assert.rejects(loadMmlu(sharedData('mmlu'), { subjects: ['astrology'] }), /MMLU subjects not found .*: astrology/);
  });

  it('reports a malformed row by line', async () => {
    const file = path.join(dir, 'tiny_test.csv');
    writeFileSync(file, `${['"2+2?"', '3', '4', '5', '6', 'B'].join(',')}\n"only",two,columns\n"Pick",a,b,c,d,Z\n`);
    await assert.rejects(loadMmlu(file), (error: Error) => {
      assert.match(error.message, /tiny_test\.csv:2: \(line\): tiny_test\.csv: expected 6 columns/);
      assert.match(error.message, /tiny_test\.csv:3: reference: letter Z is past the last of the 4 choices/);
      return true;
    });
    const skipped = await loadMmlu(file, { skipInvalid: true });
    assert.equal(skipped.header.name, 'mmlu-tiny');
    assert.deepEqual(skipped.items.map((item) => item.input), [mmluPrompt('2+2?', ['3', '4', '5', '6'])]);
    assert.deepEqual(skipped.skipped.map((issue) => issue.line), [2, 3]);
  });
});

describe('GSM8K loader', () => {
  it('takes the number after #### as the reference', async () => {
    const suite = await loadGsm8k(sharedData('gsm8k', 'test.jsonl'));
    assert.equal(suite.items.length, 1319);
    assert.equal(suite.items[0]!.reference, '18');
    assert.match(String(suite.items[0]!.metadata?.solution), /#### 18$/);
    assert.equal(gsm8kFinalAnswer('so 1,000 in all\n#### 1,000'), '1000');
    assert.equal(gsm8kFinalAnswer('no marker'), undefined);
  });

  it('scores the dataset\'s own worked solutions as correct', async () => {
    const suite = await loadGsm8k(sharedData('gsm8k', 'test.jsonl'), { limit: 50 });
    for (const item of suite.items) {
      const results = await scoreItem(String(item.metadata?.solution), item, suite.metrics);
      assert.equal(results.numeric!.score, 1, `${item.id}: ${JSON.stringify(results.numeric!.detail)}`);
    }
  });

  it('reports rows without a final answer', async () => {
    const file = path.join(dir, 'gsm.jsonl');
    writeFileSync(file, `${JSON.stringify({ question: 'q', answer: '1+1=2\n#### 2' })}\n${JSON.stringify({ question: 'q', answer: 'forgot it' })}\n`);
    await assert.rejects(loadGsm8k(file), /gsm\.jsonl:2: \(line\): answer: no final answer after "####"/);
  });
});

describe('HumanEval loader', () => {
  it('reads the gzipped file with tests, and canonical solutions pass in the sandbox', async () => {
    const suite = await loadHumanEval(sharedData('humaneval', 'HumanEval.jsonl.gz'));
    assert.equal(suite.items.length, 164);
    const first = suite.items[0]!;
    assert.equal(first.id, 'HumanEval/0');
    assert.equal(first.tests?.entryPoint, 'has_close_elements');
    assert.equal(first.tests?.prefix, first.input);
    for (const item of suite.items.slice(0, 3)) {
      const results = await scoreItem(String(item.reference), item, suite.metrics);
      assert.equal(results['code-tests']!.score, 1, `${item.id}: ${JSON.stringify(results['code-tests']!.detail)}`);
    }
    const wrong = await scoreItem('    return False\n', first, suite.metrics);
    assert.equal(wrong['code-tests']!.score, 0);
  });

  it('reports a corrupt gzip file', async () => {
    const file = path.join(dir, 'broken.jsonl.gz');
    writeFileSync(file, 'not gzip');
    await assert.rejects(loadHumanEval(file), { code: 'UNBUNDLE_E_DATA', message: /not a valid gzip file/ });
    const ok = path.join(dir, 'one.jsonl.gz');
    writeFileSync(ok, gzipSync(`${JSON.stringify({ task_id: 'T/1', prompt: 'def f():\n', canonical_solution: '    return 1\n', test: 'def check(c):\n    assert c() == 1\n', entry_point: 'f' })}\n`));
    assert.equal((await loadHumanEval(ok)).items[0]!.id, 'T/1');
  });
});

describe('MBPP loader', () => {
  it('reads the CRLF file and its reference solutions pass', async () => {
    const suite = await loadMbpp(sharedData('mbpp', 'mbpp.jsonl'));
    assert.equal(suite.items.length, 974);
    const first = suite.items[0]!;
    assert.equal(first.id, 'mbpp/1');
    assert.match(String(first.input), /Your code should pass these tests:\n\nassert min_cost/);
    const results = await scoreItem(String(first.reference), first, suite.metrics);
    assert.equal(results['code-tests']!.score, 1, JSON.stringify(results['code-tests']!.detail));
  });
});

describe('BANKING77 loader', () => {
  it('reads the CSV with the 77 labels of categories.json', async () => {
    const suite = await loadBanking77(sharedData('banking77', 'test.csv'));
    assert.equal(suite.items.length, 3080);
    assert.deepEqual(suite.items[0], { id: 'banking77/2', input: 'How do I locate my card?', reference: 'card_arrival', domain: 'banking' });
    const labels = (suite.header.metrics[0] as unknown as { labels: string[] }).labels;
    assert.equal(labels.length, 77);
    assert.match(String(suite.header.system), /card_arrival, card_linking/);
    const results = await scoreItem('Card arrival', suite.items[0]!, suite.metrics);
    assert.equal(results.classification!.score, 1);
  });

  it('checks the header row and gold labels', async () => {
    const file = path.join(dir, 'intents.csv');
    writeFileSync(file, 'text,category\n"Where is my card?",card_arrival\nrefund please,refund\n');
    writeFileSync(path.join(dir, 'labels.json'), JSON.stringify(['card_arrival', 'card_linking']));
    await assert.rejects(loadBanking77(file, { categoriesFile: path.join(dir, 'labels.json') }), /intents\.csv:3: reference: "refund" is not one of the metric's labels/);
    const inferred = await loadBanking77(file);
    assert.deepEqual((inferred.header.metrics[0] as unknown as { labels: string[] }).labels, ['card_arrival', 'refund']);
    writeFileSync(path.join(dir, 'wrong.csv'), 'sentence,label\nhi,greet\n');
    await assert.rejects(loadBanking77(path.join(dir, 'wrong.csv')), { code: 'UNBUNDLE_E_DATA', message: /wrong\.csv:1: expected the header row "text,category", got "sentence,label"/ });
  });
});
