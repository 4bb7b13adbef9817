import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMessagesBody } from '../../../src/server/anthropic/parse-messages-request.ts';
import { UnbundleError } from '../../../src/errors.ts';

const base = { model: 'm', max_tokens: 64 };

function rejects(body: unknown, code: string, param: string, message: RegExp): void {
  assert.throws(() => parseMessagesBody(body), (error: unknown) => {
    assert.ok(error instanceof UnbundleError, `expected an UnbundleError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.equal(error.param, param);
    assert.match(error.message, message);
    return true;
  });
}

describe('parseMessagesBody: Anthropic Messages request → internal chat request', () => {
  it('translates system, turns, sampling, stop sequences, metadata and stream', () => {
    const parsed = parseMessagesBody({
      ...base,
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello.' }, { role: 'user', content: 'Again' }],
      temperature: 0.5,
      top_p: 0.9,
      top_k: 40,
      stop_sequences: ['\n\nHuman:', ''],
      metadata: { user_id: 'u-42' },
      stream: true,
    });
    assert.equal(parsed.model, 'm');
    assert.equal(parsed.stream, true);
    const r = parsed.request;
    assert.deepEqual(r.messages, [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello.' },
      { role: 'user', content: 'Again' },
    ]);
    assert.equal(r.maxTokens, 64);
    assert.equal(r.temperature, 0.5);
    assert.equal(r.topP, 0.9);
    assert.equal(r.topK, 40);
    assert.deepEqual(r.stop, ['\n\nHuman:']);
    assert.equal(r.user, 'u-42');
    assert.equal(r.providerOptions, undefined);
  });

  it('takes the system prompt as text blocks and several text blocks as parts', () => {
    const parsed = parseMessagesBody({
      ...base,
      system: [{ type: 'text', text: 'Rule one.', cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'Rule two.' }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Part A' }, { type: 'text', text: 'Part B', cache_control: { type: 'ephemeral' } }] }],
    });
    assert.deepEqual(parsed.request.messages, [
      { role: 'system', content: [{ type: 'text', text: 'Rule one.' }, { type: 'text', text: 'Rule two.' }] },
      { role: 'user', content: [{ type: 'text', text: 'Part A' }, { type: 'text', text: 'Part B' }] },
    ]);
    const single = parseMessagesBody({ ...base, system: [{ type: 'text', text: 'Only.' }], messages: [{ role: 'user', content: [{ type: 'text', text: 'One block' }] }] });
    assert.deepEqual(single.request.messages, [{ role: 'system', content: 'Only.' }, { role: 'user', content: 'One block' }]);
  });

  it('turns base64 and url image blocks into image parts', () => {
    const parsed = parseMessagesBody({
      ...base,
      messages: [{ role: 'user', content: [
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
        { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
        { type: 'text', text: 'What are these?' },
      ] }],
    });
    assert.deepEqual(parsed.request.messages[0]!.content, [
      { type: 'image', url: 'data:image/png;base64,iVBORw0KGgo=', mediaType: 'image/png' },
      { type: 'image', url: 'https://example.com/cat.jpg' },
      { type: 'text', text: 'What are these?' },
    ]);
  });

  it('maps tools, tool_use turns and tool_result turns onto tool calls and tool messages', () => {
    const parsed = parseMessagesBody({
      ...base,
      tools: [{ name: 'get_weather', description: 'Weather by city', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }],
      tool_choice: { type: 'tool', name: 'get_weather' },
      messages: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        { role: 'assistant', content: [
          { type: 'thinking', thinking: 'hidden', signature: 'x' },
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: { city: 'Rome' } },
        ] },
        { role: 'user', content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: '18°C' },
          { type: 'tool_result', tool_use_id: 'toolu_2', content: [{ type: 'text', text: 'timeout' }], is_error: true },
          { type: 'text', text: 'Summarise.' },
        ] },
      ],
    });
    const r = parsed.request;
    assert.deepEqual(r.tools, [{ name: 'get_weather', description: 'Weather by city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }]);
    assert.deepEqual(r.toolChoice, { name: 'get_weather' });
    assert.deepEqual(r.messages.slice(1), [
      { role: 'assistant', content: 'Checking.', toolCalls: [{ id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Paris"}' }, { id: 'toolu_2', name: 'get_weather', arguments: '{"city":"Rome"}' }] },
      { role: 'tool', toolCallId: 'toolu_1', content: '18°C' },
      { role: 'tool', toolCallId: 'toolu_2', content: 'Error: timeout' },
      { role: 'user', content: 'Summarise.' },
    ]);
  });

  it('maps every tool_choice', () => {
    const choice = (tool_choice: unknown) => parseMessagesBody({ ...base, messages: [{ role: 'user', content: 'x' }], tool_choice }).request.toolChoice;
    assert.equal(choice({ type: 'auto' }), 'auto');
    assert.equal(choice({ type: 'any' }), 'required');
    assert.equal(choice({ type: 'none' }), 'none');
    assert.deepEqual(choice({ type: 'tool', name: 'f' }), { name: 'f' });
    rejects({ ...base, messages: [{ role: 'user', content: 'x' }], tool_choice: 'auto' }, 'UNBUNDLE_E_BAD_REQUEST', 'tool_choice', /\{ type: 'auto' \}/);
  });

  it('accepts a final empty assistant turn (a prefill) but no other empty turn', () => {
    const prefill = parseMessagesBody({ ...base, messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: '' }] });
    assert.deepEqual(prefill.request.messages.at(-1), { role: 'assistant', content: '' });
    rejects({ ...base, messages: [{ role: 'user', content: '' }] }, 'UNBUNDLE_E_BAD_REQUEST', 'messages[0].content', /must not be empty/);
    rejects({ ...base, messages: [{ role: 'user', content: [] }] }, 'UNBUNDLE_E_BAD_REQUEST', 'messages[0].content', /must not be empty/);
    rejects({ ...base, messages: [] }, 'UNBUNDLE_E_BAD_REQUEST', 'messages', /at least one message/);
  });

  it('requires max_tokens, as Anthropic does', () => {
    rejects({ model: 'm', messages: [{ role: 'user', content: 'x' }] }, 'UNBUNDLE_E_BAD_REQUEST', 'max_tokens', /Missing required parameter: 'max_tokens'.*max_tokens: 1024/);
    rejects({ ...base, max_tokens: 0, messages: [{ role: 'user', content: 'x' }] }, 'UNBUNDLE_E_BAD_REQUEST', 'max_tokens', /between 1 and/);
  });

  it('names the offending field of every malformed part', () => {
    const user = (content: unknown) => ({ ...base, messages: [{ role: 'user', content }] });
    rejects({ ...base, messages: [{ role: 'system', content: 'x' }] }, 'UNBUNDLE_E_BAD_REQUEST', 'messages[0].role', /top-level 'system' field/);
    rejects(user([{ type: 'text' }]), 'UNBUNDLE_E_BAD_REQUEST', 'messages[0].content[0].text', /expected a string/);
    rejects(user([{ type: 'text', text: 'a' }, { type: 'document', source: {} }]), 'UNBUNDLE_E_UNSUPPORTED', 'messages[0].content[1].type', /'document'.*not supported/);
    rejects(user([{ type: 'image', source: { type: 'base64', data: 'x' } }]), 'UNBUNDLE_E_BAD_REQUEST', 'messages[0].content[0].source', /media_type/);
    rejects(user([{ type: 'tool_result', content: 'x' }]), 'UNBUNDLE_E_BAD_REQUEST', 'messages[0].content[0].tool_use_id', /tool_use it answers/);
    rejects({ ...base, messages: [{ role: 'user', content: 'x' }], tools: [{ name: 'f' }] }, 'UNBUNDLE_E_BAD_REQUEST', 'tools[0].input_schema', /JSON Schema/);
    rejects({ ...base, messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'web_search_20250305', name: 'web_search' }] }, 'UNBUNDLE_E_UNSUPPORTED', 'tools[0].type', /Server tool/);
    rejects({ ...base, messages: [{ role: 'user', content: 'x' }], temperature: 1.5 }, 'UNBUNDLE_E_BAD_REQUEST', 'temperature', /between 0 and 1/);
    rejects({ ...base, messages: [{ role: 'user', content: 'x' }], stop_sequences: 'END' }, 'UNBUNDLE_E_BAD_REQUEST', 'stop_sequences', /array/);
    rejects({ max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }, 'UNBUNDLE_E_BAD_REQUEST', 'model', /Missing required parameter: 'model'/);
    rejects('hi', 'UNBUNDLE_E_BAD_REQUEST', undefined as unknown as string, /JSON object/);
  });

  it('carries unknown top-level fields as providerOptions and drops Anthropic service options, like the OpenAI parser', () => {
    const parsed = parseMessagesBody({ ...base, messages: [{ role: 'user', content: 'x' }], service_tier: 'auto', thinking: { type: 'enabled', budget_tokens: 1024 }, cache_control: { type: 'ephemeral' }, repetition_penalty: 1.1 });
    assert.deepEqual(parsed.request.providerOptions, { repetition_penalty: 1.1 });
  });

  it('maps output_config.format (structured output) onto a JSON-schema response format', () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] };
    const parsed = parseMessagesBody({ ...base, messages: [{ role: 'user', content: 'x' }], output_config: { effort: 'low', format: { type: 'json_schema', schema } } });
    assert.deepEqual(parsed.request.responseFormat, { type: 'json_schema', schema, strict: true });
    rejects({ ...base, messages: [{ role: 'user', content: 'x' }], output_config: { format: { type: 'json' } } }, 'UNBUNDLE_E_BAD_REQUEST', 'output_config.format', /json_schema/);
  });
});
