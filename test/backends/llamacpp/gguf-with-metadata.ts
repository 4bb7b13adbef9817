import { readFileSync, writeFileSync } from 'node:fs';
import { readGgufHeaderSync } from '../../../src/portfolio/gguf-header.ts';

/**
 * Test helper: copies a GGUF file with extra string metadata (e.g. a chat template), so the
 * template code path can run against a real tiny model. GGUF puts tensor data after an aligned
 * header, so only the header grows; tensor offsets are relative to the data section and stay.
 */
export function writeGgufWithMetadata(source: string, target: string, extra: Record<string, string>): void {
  const header = readGgufHeaderSync(source);
  const bytes = readFileSync(source);
  const { tensorInfoStart, tensorInfoEnd, dataOffset, alignment } = header.layout;
  const fixed = Buffer.alloc(24);
  bytes.copy(fixed, 0, 0, 24);
  fixed.writeBigUInt64LE(BigInt(header.metadata.size + Object.keys(extra).length), 16);
  const kvs = Object.entries(extra).map(([key, value]) => Buffer.concat([ggufString(key), u32(8), ggufString(value)]));
  const head = Buffer.concat([fixed, bytes.subarray(24, tensorInfoStart), ...kvs, bytes.subarray(tensorInfoStart, tensorInfoEnd)]);
  const padding = Buffer.alloc((alignment - (head.length % alignment)) % alignment);
  writeFileSync(target, Buffer.concat([head, padding, bytes.subarray(dataOffset)]));
}

function ggufString(text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(body.length));
  return Buffer.concat([length, body]);
}

function u32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(value);
  return buffer;
}
