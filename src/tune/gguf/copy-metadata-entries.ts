import { closeSync, openSync, readSync } from 'node:fs';
import { readGgufHeaderSync } from '../../portfolio/gguf-header.ts';

/**
 * Copies metadata entries of a GGUF file byte for byte (for the writer's `rawMetadata`), e.g. a
 * model's full tokenizer when writing a derived model. Entries whose key `keep` rejects are
 * dropped, so the caller can write its own values for them.
 */
export function copyMetadataEntries(file: string, keep: (key: string) => boolean): { count: number; bytes: Uint8Array } {
  const header = readGgufHeaderSync(file);
  const start = 24;
  const bytes = Buffer.alloc(header.layout.tensorInfoStart - start);
  const fd = openSync(header.file, 'r');
  try {
    readSync(fd, bytes, 0, bytes.length, start);
  } finally {
    closeSync(fd);
  }
  const scalarWidths = [1, 1, 2, 2, 4, 4, 4, 1, -1, -1, 8, 8, 8];
  let pos = 0;
  const u64 = (): number => { const n = Number(bytes.readBigUInt64LE(pos)); pos += 8; return n; };
  const u32 = (): number => { const n = bytes.readUInt32LE(pos); pos += 4; return n; };
  const skipValue = (type: number): void => {
    if (type === 8) { const length = u64(); pos += length; return; }
    if (type === 9) {
      const itemType = u32();
      const count = u64();
      for (let i = 0; i < count; i++) skipValue(itemType);
      return;
    }
    pos += scalarWidths[type]!;
  };
  const kept: Buffer[] = [];
  let count = 0;
  for (let i = 0; i < header.metadata.size; i++) {
    const entryStart = pos;
    const keyLength = u64();
    const key = bytes.toString('utf8', pos, pos + keyLength);
    pos += keyLength;
    skipValue(u32());
    if (keep(key)) {
      kept.push(bytes.subarray(entryStart, pos));
      count++;
    }
  }
  return { count, bytes: Buffer.concat(kept) };
}
