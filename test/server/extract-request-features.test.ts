import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RequestContext } from '../../src/server/request-context.ts';
import { extractRequestFeatures } from '../../src/server/extract-request-features.ts';
import { parseChatBody } from '../../src/server/openai/parse-chat-request.ts';
import { parseCompletionBody } from '../../src/server/openai/parse-completion-request.ts';

const ctxWith = (headers: Record<string, string>, tenantId?: string): RequestContext => ({ req: { headers }, tenantId }) as unknown as RequestContext;

test('chat: the last user message, a token estimate over all messages, tools, images, JSON mode, metadata, user', () => {
  const parsed = parseChatBody({
    model: 'auto',
    user: 'bob',
    metadata: { tier: 'gold' },
    response_format: { type: 'json_object' },
    tools: [{ type: 'function', function: { name: 'lookup' } }],
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: 'an answer' },
      { role: 'user', content: [{ type: 'text', text: 'what is in' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }, { type: 'text', text: 'this picture?' }] },
    ],
  });
  const features = extractRequestFeatures(ctxWith({ 'x-unbundle-team': 'legal' }, 'acme'), parsed.request, parsed.metadata);
  assert.equal(features.lastUserText, 'what is in\nthis picture?');
  // 9 + 14 + 9 + 10 + 13 = 55 characters of text -> ceil(55 / 4) = 14 tokens; the image is not counted.
  assert.equal(features.promptTokens, 14);
  assert.equal(features.hasTools, true);
  assert.equal(features.hasImages, true);
  assert.equal(features.json, true);
  assert.deepEqual(features.metadata, { tier: 'gold' });
  assert.equal(features.user, 'bob');
  assert.equal(features.tenantId, 'acme');
  assert.equal(features.headers?.['x-unbundle-team'], 'legal');
});

test('a plain chat and a completion: no tools, images or JSON mode; the prompt is the text', () => {
  const chat = parseChatBody({ model: 'auto', messages: [{ role: 'user', content: 'hello there' }], response_format: { type: 'text' } });
  const f = extractRequestFeatures(ctxWith({}), chat.request);
  assert.deepEqual([f.lastUserText, f.promptTokens, f.hasTools, f.hasImages, f.json, f.metadata], ['hello there', 3, false, false, false, undefined]);
  const completion = parseCompletionBody({ model: 'auto', prompt: 'x'.repeat(401) });
  const c = extractRequestFeatures(ctxWith({}), completion.request);
  assert.equal(c.lastUserText.length, 401);
  assert.equal(c.promptTokens, 101);
  const noUser = parseChatBody({ model: 'auto', messages: [{ role: 'system', content: 'only a system prompt' }] });
  assert.equal(extractRequestFeatures(ctxWith({}), noUser.request).lastUserText, '');
});
