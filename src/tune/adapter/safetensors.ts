import { readFileSync } from 'node:fs';
import { UnbundleError } from '../../errors.ts';
import { bf16ToF32, f16ToF32 } from '../gguf/half-float.ts';

/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
 * mapping names to dtype, shape and byte range, then the raw little-endian data.
 */
export interface SafeTensor {
  dtype: string;
  shape: number[];
  data: Float32Array;
}

const widths: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };

function decode(dtype: string, bytes: Buffer, count: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    if (dtype === 'F32') out[i] = bytes.readFloatLE(4 * i);
    else if (dtype === 'F16') out[i] = f16ToF32(bytes.readUInt16LE(2 * i));
    else if (dtype === 'BF16') out[i] = bf16ToF32(bytes.readUInt16LE(2 * i));
    else out[i] = bytes.readDoubleLE(8 * i);
  }
  return out;
}

export function readSafetensors(file: string): { tensors: Map<string, SafeTensor>; metadata: Record<string, string> } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new UnbundleError('UNBUNDLE_E_DATA', `Cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message}.`, { cause: error });
  }
  const bad = (reason: string): UnbundleError => new UnbundleError('UNBUNDLE_E_DATA', `${file} is not a valid safetensors file: ${reason}.`);
  if (bytes.length < 8) throw bad('it is shorter than its 8-byte header length');
  const headerLength = Number(bytes.readBigUInt64LE(0));
  if (headerLength > bytes.length - 8) throw bad(`its header claims ${headerLength} bytes but the file has ${bytes.length}`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(bytes.toString('utf8', 8, 8 + headerLength)) as Record<string, unknown>;
  } catch (error) {
    throw bad(`its JSON header does not parse (${(error as Error).message})`);
  }
  const dataStart = 8 + headerLength;
  const tensors = new Map<string, SafeTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = entry as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets: offsets } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const width = widths[dtype];
    if (!width) throw new UnbundleError('UNBUNDLE_E_UNSUPPORTED', `${file}: tensor "${name}" has dtype ${dtype}; LoRA import reads F32, F16, BF16 and F64.`);
    const count = shape.reduce((a, b) => a * b, 1);
    if (offsets[1] - offsets[0] !== count * width || dataStart + offsets[1] > bytes.length) throw bad(`tensor "${name}" has a byte range that does not fit its shape`);
    tensors.set(name, { dtype, shape, data: decode(dtype, bytes.subarray(dataStart + offsets[0], dataStart + offsets[1]), count) });
  }
  return { tensors, metadata };
}

/** F32 safetensors, tensors in the given order, 8-byte aligned data as the format recommends. */
export function encodeSafetensors(tensors: ReadonlyArray<{ name: string; shape: number[]; data: Float32Array }>, metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const { name, shape, data } of tensors) {
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([length, Buffer.from(json), ...tensors.map(({ data }) => Buffer.from(data.buffer, data.byteOffset, data.byteLength))]);
}
