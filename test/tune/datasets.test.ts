import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildExamples } from '../../src/tune/data/build-examples.ts';
import { parseDataset, type DatasetRecord } from '../../src/tune/data/dataset-records.ts';
import { openTuneTokenizer, type TuneTokenizer } from '../../src/tune/data/tune-tokenizer.ts';
import { sharedModel } from '../helpers/paths.ts';
import { tempDir } from './helpers/banking-sample.ts';
import { withChatTemplate } from './helpers/quantized-models.ts';
import path from 'node:path';

/** A character tokenizer with BOS 1 and EOS 2, for exact expectations about masks. */
const chars: TuneTokenizer = {
  tokenize: (text) => [...text].map((c) => c.charCodeAt(0)),
  bos: 1,
  eos: 2,
  close: async () => undefined,
};
const scoredText = (tokens: Int32Array, targets: Int32Array): string => String.fromCharCode(...[...targets].filter((t) => t > 2));

describe('dataset files', () => {
  it('reads chat, prompt/completion and text lines', () => {
    const records = parseDataset([
      '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}',
      '',
      '{"prompt": "Q: 2+2?", "completion": " 4"}',
      '{"text": "plain"}',
    ].join('\n'), 'jsonl', 'd.jsonl');
    assert.deepEqual(records.map((r) => [r.kind, r.line]), [['chat', 1], ['completion', 3], ['text', 4]]);
    assert.deepEqual(parseDataset('one\n\n two \n', 'text', 'd.txt').map((r) => r.kind === 'text' && r.text), ['one', ' two ']);
  });

  it('reports every bad line with its number', () => {
    const content = [
      '{"text": "fine"}',
      '{"text": ',
      '[1, 2]',
      '{"messages": [{"role": "user", "content": "no answer"}]}',
      '{"prompt": "p"}',
      '{"messages": [{"role": "robot", "content": "x"}]}',
      '{"foo": 1}',
    ].join('\n');
    assert.throws(() => parseDataset(content, 'jsonl', 'bad.jsonl'), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'UNBUNDLE_E_DATA');
      assert.match(error.message, /bad\.jsonl has 6 bad lines/);
      assert.match(error.message, /line 2: not valid JSON/);
      assert.match(error.message, /line 3: expected a JSON object/);
      assert.match(error.message, /line 4: the conversation has no assistant message/);
      assert.match(error.message, /line 5: "completion" must be a non-empty string/);
      assert.match(error.message, /line 6: messages\[0\]\.role must be one of/);
      assert.match(error.message, /line 7: expected "messages", "prompt"\/"completion" or "text"/);
      return true;
    });
    assert.throws(() => parseDataset('\n\n', 'text', 'empty.txt'), /empty\.txt holds no examples/);
  });
});

describe('training examples', () => {
  it('scores every token of text, and the completion (with EOS) of prompt/completion', () => {
    const [text] = buildExamples([{ kind: 'text', line: 1, text: 'abc' }], chars, 64, 256);
    assert.deepEqual([...text!.tokens], [1, 97, 98, 99]);
    assert.deepEqual([...text!.targets], [97, 98, 99, 2]);
    const [completion] = buildExamples([{ kind: 'completion', line: 1, prompt: 'Q:', completion: ' yes' }], chars, 64, 256);
    assert.deepEqual([...completion!.tokens], [1, 81, 58, 32, 121, 101, 115]);
    assert.deepEqual([...completion!.targets], [-1, -1, 32, 121, 101, 115, 2]);
  });

  it('formats chat without a template as the backend serves it, one sequence per answer', () => {
    const record: DatasetRecord = { kind: 'chat', line: 1, messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello.' },
      { role: 'user', content: 'Bye' },
      { role: 'assistant', content: 'Bye.' },
    ] };
    const examples = buildExamples([record], chars, 256, 256);
    assert.equal(examples.length, 2);
    const prompt = (e: (typeof examples)[number]): string => String.fromCharCode(...[...e.tokens].slice(1, e.targets.findIndex((t) => t >= 0) + 1));
    assert.equal(prompt(examples[0]!), 'System: Be brief.\nUser: Hi\nAssistant:');
    assert.equal(scoredText(examples[0]!.tokens, examples[0]!.targets), ' Hello.');
    assert.equal(examples[0]!.targets.at(-1), 2);
    assert.equal(prompt(examples[1]!), 'System: Be brief.\nUser: Hi\nAssistant: Hello.\nUser: Bye\nAssistant:');
    assert.equal(scoredText(examples[1]!.tokens, examples[1]!.targets), ' Bye.');
  });

  it('uses the chat template when the model has one', () => {
    const templated: TuneTokenizer = {
      ...chars,
      chatTurn: (history, answer) => ({ prompt: [1, ...chars.tokenize(`<${history.map((m) => m.content).join('|')}>`)], completion: [...chars.tokenize(answer), 3] }),
    };
    const [example] = buildExamples([{ kind: 'chat', line: 1, messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'ok' }] }], templated, 64, 256);
    assert.deepEqual([...example!.tokens], [1, 60, 113, 62, 111, 107]);
    assert.deepEqual([...example!.targets], [-1, -1, -1, 111, 107, 3]);
  });

  it('splits long texts into windows that predict every token once', () => {
    const examples = buildExamples([{ kind: 'text', line: 1, text: 'abcdefghij' }], chars, 4, 256);
    assert.deepEqual(examples.map((e) => [...e.tokens]), [[1, 97, 98, 99], [100, 101, 102, 103], [104, 105, 106]]);
    assert.deepEqual(examples.flatMap((e) => [...e.targets]), [97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 2]);
    assert.throws(() => buildExamples([{ kind: 'text', line: 9, text: 'é' }], chars, 4, 200), /line 9: the tokenizer produced token 233, outside the model's vocabulary of 200/);
  });
});

describe('the base model\'s tokenizer (stories260K)', () => {
  let tokenizer: TuneTokenizer;
  before(async () => { tokenizer = await openTuneTokenizer(sharedModel('stories260K.gguf')); });
  after(async () => { await tokenizer?.close(); });

  it('tokenises like llama.cpp and marks only the completion', () => {
    assert.equal(tokenizer.bos, 1);
    assert.equal(tokenizer.eos, 2);
    assert.equal(tokenizer.chatTurn, undefined);
    assert.deepEqual(tokenizer.tokenize('Once upon a time, there was'), [403, 407, 261, 378, 432, 383, 286]);
    const [example] = buildExamples([{ kind: 'completion', line: 1, prompt: 'Once upon a time,', completion: ' there was' }], tokenizer, 64, 512);
    assert.deepEqual([...example!.tokens], [1, 403, 407, 261, 378, 432, 383, 286]);
    assert.deepEqual([...example!.targets], [-1, -1, -1, -1, -1, 383, 286, 2]);
  });
});

describe('a model with a chat template', () => {
  it('renders chat through the template and trains on the answer plus the template\'s end of turn', async () => {
    const chatml = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
    const file = withChatTemplate(sharedModel('stories260K.gguf'), chatml, path.join(tempDir(), 'chatml.gguf'));
    const tokenizer = await openTuneTokenizer(file);
    try {
      assert.ok(tokenizer.chatTurn);
      const messages = [{ role: 'user' as const, content: 'Hi there' }, { role: 'assistant' as const, content: 'Hello friend' }];
      const { prompt, completion } = tokenizer.chatTurn(messages.slice(0, 1), 'Hello friend');
      const endOfTurn = tokenizer.tokenize('<|im_end|>');
      assert.deepEqual(completion.slice(-endOfTurn.length), endOfTurn);
      assert.equal(prompt[0], 1);
      const [example] = buildExamples([{ kind: 'chat', line: 1, messages }], tokenizer, 128, 512);
      assert.deepEqual([...example!.targets].filter((t) => t >= 0), completion);
      assert.equal(example!.tokens.length, prompt.length + completion.length - 1);
    } finally {
      await tokenizer.close();
    }
  });
});
