import type { IncomingMessage } from 'node:http';
import { UnbundleError } from '../errors.ts';
import { checkJsonLimits } from './json-limits.ts';

/**
 * Reads a JSON request body, refusing more than `limit` bytes (413) before buffering it all, and
 * turning a parse failure into a 400 that says where the JSON broke; bodies past the JSON shape
 * limits (depth, keys, items: json-limits.ts) are a 400 too.
 */
export function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
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
      if (text.length === 0) {
        reject(new UnbundleError('UNBUNDLE_E_INVALID_JSON', 'The request body is empty; send a JSON object with Content-Type: application/json.'));
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        reject(new UnbundleError('UNBUNDLE_E_INVALID_JSON', `The request body is not valid JSON: ${(error as Error).message}.`, { cause: error }));
        return;
      }
      try {
        checkJsonLimits(parsed);
      } catch (error) {
        reject(error);
        return;
      }
      resolve(parsed);
    });
    req.on('error', (error) => {
      if (!failed) reject(new UnbundleError('UNBUNDLE_E_CANCELLED', 'The client closed the connection while sending the body.', { cause: error }));
      failed = true;
    });
  });
}

function tooLarge(size: number, limit: number): UnbundleError {
  return new UnbundleError(
    'UNBUNDLE_E_BODY_TOO_LARGE',
    `The request body is ${size} bytes, over this server's limit of ${limit} bytes. Send less, or raise server.bodyLimit in the portfolio config.`,
  );
}
