import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { UnbundleError } from '../errors.ts';

/**
 * A small reader of GGUF headers (metadata and tensor table), written from the GGUF spec. It never
 * loads the native llama.cpp addon, so eval, tune and discovery can ask "what is this file?" cheaply.
 * Only little-endian GGUF v2/v3 is read (v1 files predate 2023 and llama.cpp dropped them too).
 */

export type GgufScalar = string | number | bigint | boolean;
/** Arrays are summarised; short ones (tokenizer merges are not) keep their values. */
export interface GgufArray {
  kind: 'array';
  itemType: number;
  length: number;
  values?: GgufScalar[];
}
export type GgufValue = GgufScalar | GgufArray;

export interface GgufTensorInfo {
  name: string;
  shape: number[];
  type: number;
  typeName: string;
  /** Offset from the start of the tensor data section. */
  offset: number;
  elements: number;
}

export interface GgufHeader {
  file: string;
  fileSize: number;
  version: number;
  architecture: string | undefined;
  /** `general.type`: "model", "adapter", "mmproj", ... (absent in older files, which are models). */
  type: string | undefined;
  /** True for LoRA (and other) adapters, which are applied to a model rather than loaded alone. */
  isAdapter: boolean;
  name: string | undefined;
  /** Sum of every tensor's element count. */
  parameterCount: number;
  tensorCount: number;
  fileType: number | undefined;
  /** e.g. "Q4_K_M"; from general.file_type, else the type holding most weights. */
  quantization: string | undefined;
  contextLength: number | undefined;
  hasChatTemplate: boolean;
  metadata: ReadonlyMap<string, GgufValue>;
  tensors: GgufTensorInfo[];
  /** Byte layout, for tools that rewrite headers. */
  layout: { tensorInfoStart: number; tensorInfoEnd: number; dataOffset: number; alignment: number };
}

/** ggml tensor types: id → [name, elements per block, bytes per block]. */
const ggmlTypes: Readonly<Record<number, readonly [string, number, number]>> = {
  0: ['F32', 1, 4], 1: ['F16', 1, 2], 2: ['Q4_0', 32, 18], 3: ['Q4_1', 32, 20], 6: ['Q5_0', 32, 22],
  7: ['Q5_1', 32, 24], 8: ['Q8_0', 32, 34], 9: ['Q8_1', 32, 36], 10: ['Q2_K', 256, 84], 11: ['Q3_K', 256, 110],
  12: ['Q4_K', 256, 144], 13: ['Q5_K', 256, 176], 14: ['Q6_K', 256, 210], 15: ['Q8_K', 256, 292],
  16: ['IQ2_XXS', 256, 66], 17: ['IQ2_XS', 256, 74], 18: ['IQ3_XXS', 256, 98], 19: ['IQ1_S', 256, 50],
  20: ['IQ4_NL', 32, 18], 21: ['IQ3_S', 256, 110], 22: ['IQ2_S', 256, 82], 23: ['IQ4_XS', 256, 136],
  24: ['I8', 1, 1], 25: ['I16', 1, 2], 26: ['I32', 1, 4], 27: ['I64', 1, 8], 28: ['F64', 1, 8],
  29: ['IQ1_M', 256, 56], 30: ['BF16', 1, 2], 34: ['TQ1_0', 256, 54], 35: ['TQ2_0', 256, 66], 39: ['MXFP4', 32, 17],
};

/** `general.file_type` (llama.cpp's llama_ftype) → the quantisation name users know. */
const fileTypeNames: readonly (string | undefined)[] = [
  'F32', 'F16', 'Q4_0', 'Q4_1', 'Q4_1_SOME_F16', undefined, undefined, 'Q8_0', 'Q5_0', 'Q5_1', 'Q2_K',
  'Q3_K_S', 'Q3_K_M', 'Q3_K_L', 'Q4_K_S', 'Q4_K_M', 'Q5_K_S', 'Q5_K_M', 'Q6_K', 'IQ2_XXS', 'IQ2_XS',
  'Q2_K_S', 'IQ3_XS', 'IQ3_XXS', 'IQ1_S', 'IQ4_NL', 'IQ3_S', 'IQ3_M', 'IQ2_S', 'IQ2_M', 'IQ4_XS',
  'IQ1_M', 'BF16', 'Q4_0_4_4', 'Q4_0_4_8', 'Q4_0_8_8', 'TQ1_0', 'TQ2_0', 'MXFP4_MOE',
];

export function ggmlTypeName(type: number): string {
  return ggmlTypes[type]?.[0] ?? `type${type}`;
}

export function ggufFileTypeName(fileType: number): string | undefined {
  return fileTypeNames[fileType];
}

const fix = 'Point the path at a GGUF model file (other formats convert with llama.cpp\'s convert_hf_to_gguf.py).';

function notGguf(file: string, reason: string, remedy = fix): UnbundleError {
  return new UnbundleError('UNBUNDLE_E_MODEL_LOAD', `${file} is not a usable GGUF file: ${reason}. ${remedy}`);
}

const redownload = 'Download or copy the file again.';

/** Reads the file in 1 MiB windows: headers with 150k-token vocabularies run to several MiB. */
class WindowReader {
  private window = Buffer.alloc(0);
  private windowStart = 0;
  pos = 0;

  constructor(private readonly fd: number, readonly size: number, private readonly file: string) {}

  private need(n: number): number {
    if (this.pos + n > this.size) throw notGguf(this.file, `it ends at byte ${this.size} inside its header (truncated, or still downloading)`, redownload);
    const at = this.pos - this.windowStart;
    if (at >= 0 && at + n <= this.window.length) return at;
    const length = Math.min(Math.max(n, 1 << 20), this.size - this.pos);
    this.window = Buffer.alloc(length);
    readSync(this.fd, this.window, 0, length, this.pos);
    this.windowStart = this.pos;
    return 0;
  }

  u8(): number { const at = this.need(1); this.pos += 1; return this.window.readUInt8(at); }
  u32(): number { const at = this.need(4); this.pos += 4; return this.window.readUInt32LE(at); }
  u64(): number {
    const at = this.need(8);
    this.pos += 8;
    const value = this.window.readBigUInt64LE(at);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw notGguf(this.file, `a count or offset (${value}) is impossibly large`);
    return Number(value);
  }

  string(): string {
    const length = this.u64();
    if (length > this.size - this.pos) throw notGguf(this.file, `a string claims ${length} bytes, more than the file holds`);
    const at = this.need(length);
    this.pos += length;
    return this.window.toString('utf8', at, at + length);
  }

  scalar(type: number): GgufScalar {
    const width = [1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8][type];
    if (type === 8) return this.string();
    if (width === undefined || width === 0) throw notGguf(this.file, `unknown metadata value type ${type}`);
    const at = this.need(width);
    this.pos += width;
    const b = this.window;
    switch (type) {
      case 0: return b.readUInt8(at);
      case 1: return b.readInt8(at);
      case 2: return b.readUInt16LE(at);
      case 3: return b.readInt16LE(at);
      case 4: return b.readUInt32LE(at);
      case 5: return b.readInt32LE(at);
      case 6: return b.readFloatLE(at);
      case 7: return b.readUInt8(at) !== 0;
      case 10: return safeNumber(b.readBigUInt64LE(at));
      case 11: return safeNumber(b.readBigInt64LE(at));
      default: return b.readDoubleLE(at);
    }
  }

  value(type: number): GgufValue {
    if (type !== 9) return this.scalar(type);
    const itemType = this.u32();
    const length = this.u64();
    if (itemType === 9) throw notGguf(this.file, 'it nests arrays inside arrays, which GGUF does not allow');
    if (length > this.size - this.pos) throw notGguf(this.file, `an array claims ${length} items, more than the file holds`);
    const keep = length <= 64;
    const values: GgufScalar[] = [];
    for (let i = 0; i < length; i++) {
      const item = this.scalar(itemType);
      if (keep) values.push(item);
    }
    return keep ? { kind: 'array', itemType, length, values } : { kind: 'array', itemType, length };
  }
}

function safeNumber(value: bigint): number | bigint {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value;
}

function describeStart(bytes: Buffer): string {
  if (bytes.toString('utf8').startsWith('version https://git-lfs')) {
    return 'it is a Git LFS pointer, not the model itself (run "git lfs pull" in its repository)';
  }
  const printable = bytes.subarray(0, 4).toString('latin1').replace(/[^\x20-\x7e]/g, '.');
  return `it starts with "${printable}" instead of the magic bytes "GGUF"`;
}

/** Reads a GGUF file's header. Throws UNBUNDLE_E_MODEL_LOAD naming the file and what is wrong. */
export function readGgufHeaderSync(file: string): GgufHeader {
  const absolute = path.resolve(file);
  let fd: number;
  try {
    fd = openSync(absolute, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new UnbundleError('UNBUNDLE_E_MODEL_LOAD', `Cannot read ${absolute}: ${reason}. ${fix}`, { cause: error });
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new UnbundleError('UNBUNDLE_E_MODEL_LOAD', `Cannot read ${absolute}: it is not a regular file. ${fix}`);
    const size = stats.size;
    const start = Buffer.alloc(Math.min(size, 64));
    readSync(fd, start, 0, start.length, 0);
    if (start.length < 4 || start.toString('latin1', 0, 4) !== 'GGUF') throw notGguf(absolute, size < 4 ? 'it is empty or too short' : describeStart(start));
    return parse(new WindowReader(fd, size, absolute), absolute);
  } finally {
    closeSync(fd);
  }
}

/** Async form for call sites that must not look blocking; the reads are small and local. */
export async function readGgufHeader(file: string): Promise<GgufHeader> {
  return readGgufHeaderSync(file);
}

function parse(reader: WindowReader, file: string): GgufHeader {
  reader.pos = 4;
  const version = reader.u32();
  if (version !== 2 && version !== 3) {
    throw notGguf(file, version > 0xffff ? 'it is big-endian GGUF, which this reader does not support' : `it is GGUF version ${version}; only versions 2 and 3 are supported`);
  }
  const tensorCount = reader.u64();
  const kvCount = reader.u64();
  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < kvCount; i++) {
    const key = reader.string();
    metadata.set(key, reader.value(reader.u32()));
  }
  const tensorInfoStart = reader.pos;
  const tensors: GgufTensorInfo[] = [];
  let parameterCount = 0;
  for (let i = 0; i < tensorCount; i++) {
    const name = reader.string();
    const dims = reader.u32();
    if (dims > 8) throw notGguf(file, `tensor "${name}" claims ${dims} dimensions`);
    const shape = Array.from({ length: dims }, () => reader.u64());
    const type = reader.u32();
    const offset = reader.u64();
    const elements = shape.reduce((product, n) => product * n, 1);
    parameterCount += elements;
    tensors.push({ name, shape, type, typeName: ggmlTypeName(type), offset, elements });
  }
  const tensorInfoEnd = reader.pos;
  const alignmentValue = metadata.get('general.alignment');
  const alignment = typeof alignmentValue === 'number' && alignmentValue > 0 ? alignmentValue : 32;
  const dataOffset = Math.ceil(tensorInfoEnd / alignment) * alignment;
  checkTensorBounds(tensors, dataOffset, reader.size, file);

  const text = (key: string): string | undefined => {
    const value = metadata.get(key);
    return typeof value === 'string' ? value : undefined;
  };
  const architecture = text('general.architecture');
  const type = text('general.type');
  const fileTypeValue = metadata.get('general.file_type');
  const fileType = typeof fileTypeValue === 'number' ? fileTypeValue : undefined;
  const contextValue = architecture ? metadata.get(`${architecture}.context_length`) : undefined;
  return {
    file,
    fileSize: reader.size,
    version,
    architecture,
    type,
    isAdapter: type === 'adapter' || metadata.has('adapter.type'),
    name: text('general.name'),
    parameterCount,
    tensorCount,
    fileType,
    quantization: (fileType !== undefined ? ggufFileTypeName(fileType) : undefined) ?? dominantType(tensors),
    contextLength: typeof contextValue === 'number' ? contextValue : undefined,
    hasChatTemplate: typeof metadata.get('tokenizer.chat_template') === 'string',
    metadata,
    tensors,
    layout: { tensorInfoStart, tensorInfoEnd, dataOffset, alignment },
  };
}

/** A truncated download passes the header but would crash or fail deep inside llama.cpp. */
function checkTensorBounds(tensors: GgufTensorInfo[], dataOffset: number, fileSize: number, file: string): void {
  let end = dataOffset;
  for (const tensor of tensors) {
    const layout = ggmlTypes[tensor.type];
    if (!layout || tensor.shape.length === 0) continue;
    const [, blockSize, typeSize] = layout;
    const rowBytes = Math.ceil(tensor.shape[0]! / blockSize) * typeSize;
    const bytes = rowBytes * tensor.shape.slice(1).reduce((product, n) => product * n, 1);
    end = Math.max(end, dataOffset + tensor.offset + bytes);
  }
  if (end > fileSize) {
    throw notGguf(file, `its tensors need ${end} bytes but the file has only ${fileSize} (truncated, or an incomplete download)`, redownload);
  }
}

function dominantType(tensors: GgufTensorInfo[]): string | undefined {
  const totals = new Map<string, number>();
  for (const tensor of tensors) {
    if (tensor.shape.length < 2) continue;
    totals.set(tensor.typeName, (totals.get(tensor.typeName) ?? 0) + tensor.elements);
  }
  let best: string | undefined;
  for (const [name, total] of totals) if (best === undefined || total > totals.get(best)!) best = name;
  return best;
}
