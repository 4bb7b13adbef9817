import type { EmbedRequest } from '../../backends/types.ts';
import { UnbundleError } from '../../errors.ts';
import { invalid, isRecord, optionalInt, optionalString, requiredModel } from './field-reader.ts';

export interface ParsedEmbeddingBody {
  model: string;
  encodingFormat: 'float' | 'base64';
  request: EmbedRequest;
}

export function parseEmbeddingBody(body: unknown): ParsedEmbeddingBody {
  if (!isRecord(body)) throw new UnbundleError('UNBUNDLE_E_BAD_REQUEST', 'The request body must be a JSON object.');
  const model = requiredModel(body);
  const input = body.input;
  let texts: string[];
  if (typeof input === 'string') texts = [input];
  else if (Array.isArray(input) && input.length > 0 && input.every((item) => typeof item === 'string')) texts = input as string[];
  else if (Array.isArray(input) && input.length > 0 && input.every((item) => typeof item === 'number' || Array.isArray(item))) {
    throw new UnbundleError('UNBUNDLE_E_UNSUPPORTED', "Token-id input is not supported; send 'input' as text.", { param: 'input' });
  } else throw invalid('input', 'expected a non-empty string or a non-empty array of strings.');
  if (texts.length > 2048) throw invalid('input', `at most 2048 inputs per request, got ${texts.length}.`);
  // An empty text has no embedding (a local model would answer a zero-length vector); OpenAI refuses it too.
  const empty = texts.indexOf('');
  if (empty !== -1) throw invalid(typeof input === 'string' ? 'input' : `input[${empty}]`, 'must not be an empty string.');
  const format = optionalString(body, 'encoding_format') ?? 'float';
  if (format !== 'float' && format !== 'base64') throw invalid('encoding_format', "expected 'float' or 'base64'.");
  const request: EmbedRequest = { input: texts };
  const dimensions = optionalInt(body, 'dimensions', 1);
  if (dimensions !== undefined) request.dimensions = dimensions;
  const user = optionalString(body, 'user');
  if (user !== undefined) request.user = user;
  return { model, encodingFormat: format, request };
}
