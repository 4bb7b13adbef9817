import { closeSync, openSync, readSync } from 'node:fs';
import { UnbundleError } from '../../errors.ts';
import { readGgufHeaderSync, type GgufHeader, type GgufTensorInfo, type GgufValue } from '../../portfolio/gguf-header.ts';
import { decodableTypes, dequantize, encodedSize } from './dequantize.ts';

/**
 * A GGUF file opened for its tensor data. The header comes from the portfolio's reader (one
 * parser in the house); this adds reading and decoding tensors to float32.
 */
export interface GgufFile {
  header: GgufHeader;
  has(name: string): boolean;
  info(name: string): GgufTensorInfo;
  /** The tensor decoded to float32, row-major with shape[0] the contiguous dimension. */
  readFloat32(name: string): Float32Array;
  /** The tensor's bytes exactly as stored. */
  readRaw(name: string): Uint8Array;
  number(key: string): number | undefined;
  string(key: string): string | undefined;
}

export function openGgufFile(file: string): GgufFile {
  const header = readGgufHeaderSync(file);
  const byName = new Map(header.tensors.map((tensor) => [tensor.name, tensor]));

  const info = (name: string): GgufTensorInfo => {
    const tensor = byName.get(name);
    if (!tensor) throw new UnbundleError('UNBUNDLE_E_MODEL_LOAD', `${header.file} has no tensor "${name}"; is it a llama-architecture model?`);
    return tensor;
  };

  const byteLength = (tensor: GgufTensorInfo): number => {
    const size = encodedSize(tensor.type, tensor.elements);
    if (size === undefined) {
      const supported = Object.values(decodableTypes).map((t) => t.name).join(', ');
      throw new UnbundleError(
        'UNBUNDLE_E_UNSUPPORTED',
        `${header.file}: tensor "${tensor.name}" is stored as ${tensor.typeName}, which the trainer cannot decode (it reads ${supported}). Use an F16, Q8_0 or Q4_K_M file of the model.`,
      );
    }
    return size;
  };

  const readRaw = (name: string): Uint8Array => {
    const tensor = info(name);
    const bytes = Buffer.alloc(byteLength(tensor));
    const fd = openSync(header.file, 'r');
    try {
      const read = readSync(fd, bytes, 0, bytes.length, header.layout.dataOffset + tensor.offset);
      if (read !== bytes.length) throw new UnbundleError('UNBUNDLE_E_MODEL_LOAD', `${header.file} is truncated inside tensor "${name}"; download it again.`);
    } finally {
      closeSync(fd);
    }
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  };

  const value = (key: string): GgufValue | undefined => header.metadata.get(key);
  return {
    header,
    has: (name) => byName.has(name),
    info,
    readRaw,
    readFloat32: (name) => dequantize(info(name).type, readRaw(name), info(name).elements),
    number: (key) => {
      const v = value(key);
      return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined;
    },
    string: (key) => {
      const v = value(key);
      return typeof v === 'string' ? v : undefined;
    },
  };
}
