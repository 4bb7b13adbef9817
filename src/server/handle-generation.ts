import type { GenerateRequest } from '../backends/types.ts';
import { toUnbundleError } from '../errors.ts';
import type { Executor } from '../executor/executor.ts';
import type { Plan } from '../router/plan.ts';
import { encodeChatCompletion, encodeTextCompletion, OpenAIStreamEncoder } from './openai/encode-openai.ts';
import type { RequestContext } from './request-context.ts';
import { sendJson, startEventStream, writeChunk } from './respond.ts';

export interface GenerationCall {
  plan: Plan;
  request: GenerateRequest;
  stream: boolean;
  includeUsage: boolean;
  timeoutMs: number;
}

function planHeaders(plan: Plan, modelId: string, attempts: number): Record<string, string> {
  const headers: Record<string, string> = { 'x-unbundle-model': modelId, 'x-unbundle-attempts': String(attempts), 'x-unbundle-route': plan.primary, 'x-unbundle-route-reason': reasonHeader(plan.reasons) };
  if (plan.domain !== undefined) headers['x-unbundle-domain'] = plan.domain;
  else if (plan.requested !== plan.primary) headers['x-unbundle-domain'] = 'none';
  return headers;
}

/** The reasons as one short printable-ASCII header value (a header with other bytes is rejected by node). */
export function reasonHeader(reasons: readonly string[]): string {
  const joined = reasons.length === 1 ? reasons[0]! : reasons.join('; ');
  const ascii = /^[\x20-\x7e]*$/.test(joined) ? joined : joined.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length > 256 ? `${ascii.slice(0, 253)}...` : ascii;
}

/** Runs a chat or completion request through the executor and answers in OpenAI's wire format. */
export async function handleGeneration(ctx: RequestContext, executor: Executor, call: GenerationCall): Promise<void> {
  const { plan, request } = call;
  const created = Math.floor(Date.now() / 1000);
  const responseId = `${request.kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${ctx.id}`;
  ctx.stream = call.stream;
  const options = { signal: ctx.signal, controller: ctx.controller, timeoutMs: call.timeoutMs };

  if (!call.stream) {
    const { result, modelId, attempts } = await executor.generate(plan, request, options);
    ctx.answeredBy = modelId;
    ctx.attempts = attempts;
    ctx.usage = result.usage;
    const body = request.kind === 'chat'
      ? encodeChatCompletion(responseId, plan.requested, created, result)
      : encodeTextCompletion(responseId, plan.requested, created, result);
    sendJson(ctx.res, 200, body, planHeaders(plan, modelId, attempts));
    return;
  }

  // Failures before the first part surface as a normal error response (and, with the executor
  // issue, a silent fallback); after the first byte they end the stream with an error event.
  const execution = await executor.stream(plan, request, options);
  ctx.answeredBy = execution.modelId;
  ctx.attempts = execution.attempts;
  const encoder = new OpenAIStreamEncoder(request.kind, responseId, plan.requested, created, call.includeUsage);
  const { res } = ctx;
  try {
    startEventStream(res, planHeaders(plan, execution.modelId, execution.attempts));
    await writeChunk(res, encoder.start());
    let part = execution.first;
    for (;;) {
      if (part.type === 'text-delta' && ctx.ttftMs === undefined) ctx.ttftMs = performance.now() - ctx.start;
      if (part.type === 'usage') ctx.usage = part.usage;
      await writeChunk(res, encoder.encode(part));
      if (part.type === 'finish') break;
      const next = await execution.parts.next();
      if (next.done) throw toUnbundleError(new Error('the model stream ended without a finish part'));
      part = next.value;
    }
    await writeChunk(res, encoder.done());
    res.end();
  } catch (thrown) {
    const error = toUnbundleError(thrown);
    ctx.error = error;
    if (!res.writableEnded && !res.destroyed) {
      await writeChunk(res, encoder.error(error));
      res.end();
    }
  } finally {
    // Always close the backend's iterator, also after `finish`: a generator suspended at its last
    // yield would otherwise keep its slot (and its finally blocks) until garbage collection.
    await execution.parts.return?.().catch(() => undefined);
    execution.done();
  }
}
