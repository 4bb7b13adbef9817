import { f32ToF16 } from './half-float.ts';

/**
 * Writes GGUF v3 files (little-endian), from the GGUF spec: header, metadata, tensor table,
 * then the aligned data section. Used for LoRA adapters and training checkpoints.
 */

export type GgufWriteValue =
  | { type: 'string'; value: string }
  | { type: 'u32' | 'i32' | 'f32' | 'f64' | 'u64'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string[]'; value: readonly string[] }
  | { type: 'f32[]' | 'i32[]'; value: readonly number[] };

export interface GgufWriteTensor {
  name: string;
  /** ggml order: shape[0] is the contiguous dimension. */
  shape: readonly number[];
  /** ggml type id (0 = F32, 1 = F16, ...). */
  type: number;
  bytes: Uint8Array;
}

export interface GgufWriteOptions {
  alignment?: number;
  /** Metadata entries copied byte for byte from another file (e.g. a model's tokenizer). */
  rawMetadata?: { count: number; bytes: Uint8Array };
}

const valueTypeIds = { u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9, u64: 10, f64: 12 } as const;

export function f32Tensor(name: string, shape: readonly number[], data: Float32Array): GgufWriteTensor {
  return { name, shape, type: 0, bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

export function f16Tensor(name: string, shape: readonly number[], data: Float32Array): GgufWriteTensor {
  const halves = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) halves[i] = f32ToF16(data[i]!);
  return { name, shape, type: 1, bytes: new Uint8Array(halves.buffer) };
}

class ByteSink {
  private chunks: Buffer[] = [];
  length = 0;

  push(buffer: Buffer | Uint8Array): void {
    const chunk = Buffer.isBuffer(buffer) ? buffer : Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    this.chunks.push(chunk);
    this.length += chunk.length;
  }
  u32(n: number): void { const b = Buffer.alloc(4); b.writeUInt32LE(n); this.push(b); }
  u64(n: number): void { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(n)); this.push(b); }
  string(s: string): void { const bytes = Buffer.from(s, 'utf8'); this.u64(bytes.length); this.push(bytes); }
  pad(alignment: number): void { const extra = (alignment - (this.length % alignment)) % alignment; if (extra) this.push(Buffer.alloc(extra)); }
  toBuffer(): Buffer { return Buffer.concat(this.chunks, this.length); }
}

function writeValue(sink: ByteSink, entry: GgufWriteValue): void {
  const scalar = (type: 'u32' | 'i32' | 'f32' | 'f64' | 'u64', value: number): void => {
    const b = Buffer.alloc(type === 'f64' || type === 'u64' ? 8 : 4);
    if (type === 'u32') b.writeUInt32LE(value);
    else if (type === 'i32') b.writeInt32LE(value);
    else if (type === 'f32') b.writeFloatLE(value);
    else if (type === 'f64') b.writeDoubleLE(value);
    else b.writeBigUInt64LE(BigInt(value));
    sink.push(b);
  };
  switch (entry.type) {
    case 'string':
      sink.u32(valueTypeIds.string);
      sink.string(entry.value);
      return;
    case 'bool':
      sink.u32(valueTypeIds.bool);
      sink.push(Buffer.from([entry.value ? 1 : 0]));
      return;
    case 'string[]':
      sink.u32(valueTypeIds.array);
      sink.u32(valueTypeIds.string);
      sink.u64(entry.value.length);
      for (const s of entry.value) sink.string(s);
      return;
    case 'f32[]':
    case 'i32[]': {
      const itemType = entry.type === 'f32[]' ? 'f32' : 'i32';
      sink.u32(valueTypeIds.array);
      sink.u32(valueTypeIds[itemType]);
      sink.u64(entry.value.length);
      for (const n of entry.value) scalar(itemType, n);
      return;
    }
    default:
      sink.u32(valueTypeIds[entry.type]);
      scalar(entry.type, entry.value);
  }
}

export function encodeGguf(metadata: ReadonlyArray<readonly [string, GgufWriteValue]>, tensors: readonly GgufWriteTensor[], options: GgufWriteOptions = {}): Buffer {
  const alignment = options.alignment ?? 32;
  const sink = new ByteSink();
  sink.push(Buffer.from('GGUF', 'latin1'));
  sink.u32(3);
  sink.u64(tensors.length);
  sink.u64(metadata.length + (options.rawMetadata?.count ?? 0));
  for (const [key, value] of metadata) {
    sink.string(key);
    writeValue(sink, value);
  }
  if (options.rawMetadata) sink.push(options.rawMetadata.bytes);
  let offset = 0;
  for (const tensor of tensors) {
    sink.string(tensor.name);
    sink.u32(tensor.shape.length);
    for (const n of tensor.shape) sink.u64(n);
    sink.u32(tensor.type);
    sink.u64(offset);
    offset += Math.ceil(tensor.bytes.byteLength / alignment) * alignment;
  }
  sink.pad(alignment);
  for (const tensor of tensors) {
    sink.push(tensor.bytes);
    sink.pad(alignment);
  }
  return sink.toBuffer();
}
