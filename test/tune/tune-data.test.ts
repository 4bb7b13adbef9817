import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createScanner } from '../../src/policy/create-scanner.ts';
import type { DatasetRecord } from '../../src/tune/data/dataset-records.ts';
import { dedupeRecords } from '../../src/tune/data/dedupe-records.ts';
import { readDataSource } from '../../src/tune/data/read-data-source.ts';
import { scrubRecords } from '../../src/tune/data/scrub-records.ts';
import { splitTrainValidation } from '../../src/tune/data/split-records.ts';
import { sharedData, sharedModel } from '../helpers/paths.ts';
import { runCli } from '../helpers/run-cli.ts';
import { bankingLines, tempDir, writeLines } from './helpers/banking-sample.ts';

const text = (line: number, value: string): DatasetRecord => ({ kind: 'text', line, text: value });
const readJsonl = (file: string): unknown[] => readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));

describe('tune data: reading sources', () => {
  it('reads CSV with guessed or named columns into completion, chat and text records', () => {
    const dir = tempDir();
    writeLines(dir, 'qa.csv', ['question,answer', '"What is 2+2, exactly?",4', 'Capital of France?,Paris']);
    const qa = readDataSource(path.join(dir, 'qa.csv'));
    assert.deepEqual(qa.records.map((r) => r.kind === 'completion' && [r.prompt, r.completion]), [['What is 2+2, exactly?', '4'], ['Capital of France?', 'Paris']]);
    writeLines(dir, 'chat.csv', ['sys,q,a', 'Be brief.,Hi,Hello']);
    const chat = readDataSource(path.join(dir, 'chat.csv'), { columns: { system: 'sys', user: 'q', assistant: 'a' } });
    assert.deepEqual(chat.records[0], { kind: 'chat', line: 2, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }] });
    const banking = readDataSource(sharedData('banking77', 'train.csv'));
    assert.equal(banking.problems.length, 0);
    assert.ok(banking.records.length > 9000 && banking.records.every((r) => r.kind === 'text'));
  });

  it('names the columns it has when it cannot guess, and reports short rows by line', () => {
    const dir = tempDir();
    writeLines(dir, 'odd.csv', ['alpha,beta', 'x,y']);
    assert.throws(() => readDataSource(path.join(dir, 'odd.csv')), /header: alpha, beta\)\. Name them with --columns/);
    writeLines(dir, 'short.csv', ['prompt,completion', 'a,b', 'only-one', 'c,']);
    const read = readDataSource(path.join(dir, 'short.csv'));
    assert.deepEqual(read.problems, [{ line: 3, message: 'has 1 fields, the header has 2' }, { line: 4, message: 'column "completion" (the completion) is empty' }]);
    assert.equal(read.records.length, 1);
  });

  it('splits plain text by paragraph when asked', () => {
    const dir = tempDir();
    writeLines(dir, 'corpus.txt', ['First para line one', 'line two', '', '', 'Second para']);
    const read = readDataSource(path.join(dir, 'corpus.txt'), { textUnit: 'paragraph' });
    assert.deepEqual(read.records, [text(1, 'First para line one\nline two'), text(5, 'Second para')]);
  });
});

describe('tune data: dedupe, scrub, split', () => {
  it('drops exact duplicates (case and spacing folded) and near duplicates, naming the kept line', () => {
    const records = [
      text(1, 'How do I reset my online banking password if I forgot it?'),
      text(2, 'how do I   reset my online banking password if I forgot it?'),
      text(3, 'How do I reset my online banking password if I forgot it please?'),
      text(4, 'What is the exchange rate for euros today at the counter?'),
    ];
    const result = dedupeRecords(records, { near: true });
    assert.deepEqual(result.kept.map((r) => r.line), [1, 4]);
    assert.deepEqual(result.exact.map((d) => [d.line, d.of]), [[2, 1]]);
    assert.deepEqual(result.near.map((d) => [d.line, d.of]), [[3, 1]]);
    assert.ok(result.near[0]!.similarity >= 0.8 && result.near[0]!.similarity < 1);
    const exactOnly = dedupeRecords(records, { near: false });
    assert.deepEqual(exactOnly.kept.map((r) => r.line), [1, 3, 4]);
  });

  it('does not call distinct banking utterances near duplicates', () => {
    const records = readDataSource(sharedData('banking77', 'test.csv')).records.slice(0, 2000);
    const result = dedupeRecords(records, { near: true });
    // Real near-duplicates exist in banking77, but only a small share of a sample of distinct utterances.
    assert.ok(result.near.length < records.length * 0.05, `near duplicates: ${result.near.length}`);
    for (const d of result.near) assert.ok(d.similarity >= 0.8);
  });

  it('scrubs sensitive values by type, or drops the records holding them', () => {
    const scanner = createScanner();
    const records: DatasetRecord[] = [
      { kind: 'completion', line: 1, prompt: 'Mail me at jane.doe@example.com', completion: 'Card 4111 1111 1111 1111 is noted.' },
      text(2, 'Nothing to see here.'),
    ];
    const replaced = scrubRecords(records, scanner, 'replace');
    assert.deepEqual(replaced.kept[0], { kind: 'completion', line: 1, prompt: 'Mail me at <EMAIL>', completion: 'Card <CREDIT_CARD> is noted.' });
    assert.deepEqual(replaced.counts, { EMAIL: 1, CREDIT_CARD: 1 });
    assert.equal(replaced.affected, 1);
    const dropped = scrubRecords(records, scanner, 'drop');
    assert.deepEqual(dropped.kept.map((r) => r.line), [2]);
    assert.deepEqual(dropped.dropped.map((r) => r.line), [1]);
  });

  it('splits by content and seed: reordering or adding data never moves an example', () => {
    const records = bankingLines.map((l, i) => text(i + 1, l));
    const first = splitTrainValidation(records, 0.3, 7);
    const again = splitTrainValidation([...records].reverse().concat([text(99, 'A brand new question about loans?')]), 0.3, 7);
    const inValidation = (set: DatasetRecord[]): string[] => set.map((r) => (r as { text: string }).text).filter((t) => bankingLines.includes(t)).sort();
    assert.deepEqual(inValidation(again.validation), inValidation(first.validation));
    assert.equal(first.train.length + first.validation.length, records.length);
    const bigger = splitTrainValidation(readDataSource(sharedData('banking77', 'train.csv')).records, 0.1, 42);
    const share = bigger.validation.length / (bigger.train.length + bigger.validation.length);
    assert.ok(share > 0.08 && share < 0.12, `validation share ${share}`);
  });
});

describe('unbundle tune data / tune export', () => {
  it('prepare: bad lines stop the run with line numbers unless --skip-invalid, and nothing valid is lost', async () => {
    const dir = tempDir();
    writeLines(dir, 'chat.jsonl', [
      JSON.stringify({ messages: [{ role: 'user', content: 'Where is my card?' }, { role: 'assistant', content: 'It ships in 3 days. Questions: help@bank.example' }] }),
      '{"messages": [',
      JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }),
      JSON.stringify({ prompt: 'Capital of Italy?', completion: 'Rome' }),
      JSON.stringify({ prompt: 'capital of  italy?', completion: 'Rome' }),
    ]);
    const refused = await runCli(['tune', 'data', 'prepare', 'chat.jsonl', '--out', 'ds'], { cwd: dir });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /chat\.jsonl has 2 bad lines:\n {2}line 2: not valid JSON/);
    assert.match(refused.stderr, /line 3: the conversation has no assistant message to learn from/);
    assert.match(refused.stderr, /--skip-invalid/);

    const ok = await runCli(['tune', 'data', 'prepare', 'chat.jsonl', '--out', 'ds', '--skip-invalid', '--val-ratio', '0', '--json'], { cwd: dir });
    assert.equal(ok.code, 0, ok.stderr);
    const report = JSON.parse(ok.stdout);
    assert.equal(report.invalid.length, 2);
    assert.equal(report.duplicates.exact, 1);
    assert.deepEqual(report.duplicates.examples[0], { at: 'chat.jsonl:5', of: 'chat.jsonl:4', similarity: 1 });
    assert.deepEqual(report.scrub.detections, { EMAIL: 1 });
    const train = readJsonl(path.join(dir, 'ds', 'train.jsonl'));
    assert.deepEqual(train, [
      { messages: [{ role: 'user', content: 'Where is my card?' }, { role: 'assistant', content: 'It ships in 3 days. Questions: <EMAIL>' }] },
      { prompt: 'Capital of Italy?', completion: 'Rome' },
    ]);
    assert.deepEqual(readJsonl(path.join(dir, 'ds', 'validation.jsonl')), []);
  });

  it('prepare → train: the prepared folder trains directly', async () => {
    const dir = tempDir();
    writeLines(dir, 'lines.txt', bankingLines);
    const prepared = await runCli(['tune', 'data', 'prepare', 'lines.txt', '--out', 'ds', '--val-ratio', '0.2'], { cwd: dir });
    assert.equal(prepared.code, 0, prepared.stderr);
    assert.match(prepared.stdout, /read 12 examples from 1 file/);
    assert.match(prepared.stdout, /split \(seed 42, 0\.2 validation\): \d+ train, \d+ validation/);
    const trained = await runCli(['tune', 'train', '--base', sharedModel('stories260K.gguf'), '--data', 'ds/train.jsonl', '--val', 'ds/validation.jsonl', '--out', 'a.gguf', '--rank', '2', '--max-steps', '1', '--target', 'q'], { cwd: dir });
    assert.equal(trained.code, 0, trained.stderr);
  });

  it('validate exits 1 on bad lines and 0 on a clean file; stats counts tokens with the base tokenizer', async () => {
    const dir = tempDir();
    writeLines(dir, 'bad.jsonl', ['{"text": ""}']);
    const bad = await runCli(['tune', 'data', 'validate', 'bad.jsonl'], { cwd: dir });
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /line 1: "text" must be a non-empty string/);
    writeLines(dir, 'good.txt', bankingLines);
    const good = await runCli(['tune', 'data', 'validate', 'good.txt'], { cwd: dir });
    assert.equal(good.code, 0);
    assert.match(good.stdout, /12 examples, all valid \(text\)/);

    const stats = await runCli(['tune', 'data', 'stats', 'good.txt', '--base', sharedModel('stories260K.gguf'), '--context', '16', '--json'], { cwd: dir });
    assert.equal(stats.code, 0, stats.stderr);
    const s = JSON.parse(stats.stdout);
    assert.equal(s.records, 12);
    assert.equal(s.sequences, 12);
    assert.ok(s.min > 5 && s.max < 60 && s.min <= s.p50 && s.p50 <= s.max, JSON.stringify(s));
    assert.ok(s.overContext > 0 && s.overContext <= 12);
    assert.equal(s.histogram.reduce((n: number, h: { count: number }) => n + h.count, 0), 12);
    const human = await runCli(['tune', 'data', 'stats', 'good.txt', '--base', sharedModel('stories260K.gguf')], { cwd: dir });
    assert.match(human.stdout, /12 examples → 12 training sequences \(12 text\)/);
    assert.match(human.stdout, /length histogram:/);
  });

  it('rejects bad arguments with usage errors (exit 2)', async () => {
    const dir = tempDir();
    for (const argv of [['tune', 'data'], ['tune', 'data', 'shuffle'], ['tune', 'data', 'prepare', 'x.txt'], ['tune', 'data', 'prepare', 'x.txt', '--out', 'd', '--dedupe', 'fuzzy'], ['tune', 'data', 'prepare', 'x.txt', '--out', 'd', '--val-ratio', '2'], ['tune', 'data', 'prepare', 'x.csv', '--out', 'd', '--columns', 'question']]) {
      const result = await runCli(argv, { cwd: dir });
      assert.equal(result.code, 2, `${argv.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /unbundle tune data|--columns/);
    }
  });

  it('export writes OpenAI chat JSONL and an Axolotl starter config', async () => {
    const dir = tempDir();
    writeLines(dir, 'pc.jsonl', [JSON.stringify({ prompt: 'Q1', completion: 'A1' })]);
    const openai = await runCli(['tune', 'export', '--data', 'pc.jsonl', '--format', 'openai-jsonl', '--out', 'o'], { cwd: dir });
    assert.equal(openai.code, 0, openai.stderr);
    assert.deepEqual(readJsonl(path.join(dir, 'o', 'train.openai.jsonl')), [{ messages: [{ role: 'user', content: 'Q1' }, { role: 'assistant', content: 'A1' }] }]);
    const axolotl = await runCli(['tune', 'export', '--data', 'pc.jsonl', '--format', 'axolotl', '--out', 'x', '--base-model', 'meta-llama/Llama-3.1-8B', '--rank', '8'], { cwd: dir });
    assert.equal(axolotl.code, 0, axolotl.stderr);
    const config = readFileSync(path.join(dir, 'x', 'axolotl.yaml'), 'utf8');
    assert.match(config, /base_model: meta-llama\/Llama-3\.1-8B/);
    assert.match(config, /lora_r: 8\nlora_alpha: 16/);
    assert.match(config, /type: chat_template/);
    writeLines(dir, 't.txt', ['just text']);
    const refused = await runCli(['tune', 'export', '--data', 't.txt', '--format', 'openai-jsonl', '--out', 'o2'], { cwd: dir });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /plain-text examples have no user\/assistant turns/);
  });
});
