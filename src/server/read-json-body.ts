import { UnbundleError } from '../errors.ts';
import type { GatewayRequest } from './http/gateway-http.ts';
import { Http1Request } from './http/http1-request.ts';
import { checkJsonLimits } from './json-limits.ts';

/**
 * Reads a JSON request body, refusing more than `limit` bytes (413) before buffering it all, and
 * turning a parse failure into a 400 that says where the JSON broke; bodies past the JSON shape
 * limits (depth, keys, items: json-limits.ts) are a 400 too. The fast server's requests arrive
 * with their body already read (http1-request.ts); node's are read here.
 */
export function readJsonBody(req: GatewayRequest, limit: number): Promise<unknown> {
  if (req instanceof Http1Request) {
    const { body } = req;
    if (body.length > limit) return Promise.reject(tooLarge(body.length, limit));
    try {
      return Promise.resolve(parseJson(body.toString('utf8')));
    } catch (error) {
      return Promise.reject(error);
    }
  }
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    return Promise.reject(tooLarge(Number(declared), limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(tooLarge(size, limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (failed) return;
      const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
      try {
        resolve(parseJson(text));
      } catch (error) {
        reject(error);
      }
    });
    req.on('error', (error) => {
      if (!failed) reject(new UnbundleError('UNBUNDLE_E_CANCELLED', 'The client closed the connection while sending the body.', { cause: error }));
      failed = true;
    });
  });
}

function parseJson(text: string): unknown {
  if (text.length === 0) throw new UnbundleError('UNBUNDLE_E_INVALID_JSON', 'The request body is empty; send a JSON object with Content-Type: application/json.');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UnbundleError('UNBUNDLE_E_INVALID_JSON', `The request body is not valid JSON: ${(error as Error).message}.`, { cause: error });
  }
  checkJsonLimits(parsed);
  return parsed;
}

function tooLarge(size: number, limit: number): UnbundleError {
  return new UnbundleError(
    'UNBUNDLE_E_BODY_TOO_LARGE',
    `The request body is ${size} bytes, over this server's limit of ${limit} bytes. Send less, or raise server.bodyLimit in the portfolio config.`,
  );
}
