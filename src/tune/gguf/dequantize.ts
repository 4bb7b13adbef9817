import { bf16ToF32, f16ToF32 } from './half-float.ts';
import { dequantizeKQuant, kQuantLayouts } from './dequantize-k-quant.ts';

/**
 * Decodes GGUF tensor data into float32, written from the ggml block formats. The trainer keeps
 * base weights frozen, so a quantised base only needs decoding once at load time.
 */

/** ggml type id → elements per block and bytes per block, for the types we can decode. */
export const decodableTypes: Readonly<Record<number, { name: string; block: number; bytes: number }>> = {
  0: { name: 'F32', block: 1, bytes: 4 },
  1: { name: 'F16', block: 1, bytes: 2 },
  2: { name: 'Q4_0', block: 32, bytes: 18 },
  3: { name: 'Q4_1', block: 32, bytes: 20 },
  6: { name: 'Q5_0', block: 32, bytes: 22 },
  7: { name: 'Q5_1', block: 32, bytes: 24 },
  8: { name: 'Q8_0', block: 32, bytes: 34 },
  30: { name: 'BF16', block: 1, bytes: 2 },
  ...kQuantLayouts,
};

let f16Table: Float32Array | undefined;

/** All 65,536 half values decoded once: F16 models decode at memory speed afterwards. */
export function f16Lookup(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let bits = 0; bits < 65536; bits++) f16Table[bits] = f16ToF32(bits);
  }
  return f16Table;
}

/** Byte size of `count` elements of `type`; undefined for a type we cannot decode. */
export function encodedSize(type: number, count: number): number | undefined {
  const layout = decodableTypes[type];
  if (!layout || count % layout.block !== 0) return undefined;
  return (count / layout.block) * layout.bytes;
}

/** Decodes `count` elements of `type` from `src` (which must hold exactly their bytes). */
export function dequantize(type: number, src: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count);
  const half = f16Lookup();
  const h = (at: number): number => half[src[at]! | (src[at + 1]! << 8)]!;
  switch (type) {
    case 0:
      out.set(new Float32Array(src.buffer.slice(src.byteOffset, src.byteOffset + count * 4)));
      return out;
    case 1:
      for (let i = 0; i < count; i++) out[i] = h(2 * i);
      return out;
    case 30:
      for (let i = 0; i < count; i++) out[i] = bf16ToF32(src[2 * i]! | (src[2 * i + 1]! << 8));
      return out;
    case 8:
      for (let b = 0; b < count / 32; b++) {
        const at = b * 34;
        const d = h(at);
        for (let j = 0; j < 32; j++) out[b * 32 + j] = ((src[at + 2 + j]! << 24) >> 24) * d;
      }
      return out;
    case 2:
    case 3:
      for (let b = 0; b < count / 32; b++) {
        const at = b * (type === 2 ? 18 : 20);
        const d = h(at);
        const min = type === 3 ? h(at + 2) : -8 * d;
        const qs = at + (type === 2 ? 2 : 4);
        for (let j = 0; j < 16; j++) {
          out[b * 32 + j] = (src[qs + j]! & 0x0f) * d + min;
          out[b * 32 + j + 16] = (src[qs + j]! >> 4) * d + min;
        }
      }
      return out;
    case 6:
    case 7:
      for (let b = 0; b < count / 32; b++) {
        const at = b * (type === 6 ? 22 : 24);
        const d = h(at);
        const min = type === 7 ? h(at + 2) : -16 * d;
        const qhAt = at + (type === 6 ? 2 : 4);
        const qh = (src[qhAt]! | (src[qhAt + 1]! << 8) | (src[qhAt + 2]! << 16) | (src[qhAt + 3]! << 24)) >>> 0;
        const qs = qhAt + 4;
        for (let j = 0; j < 16; j++) {
          const high0 = ((qh >>> j) << 4) & 0x10;
          const high1 = (qh >>> (j + 12)) & 0x10;
          out[b * 32 + j] = ((src[qs + j]! & 0x0f) | high0) * d + min;
          out[b * 32 + j + 16] = ((src[qs + j]! >> 4) | high1) * d + min;
        }
      }
      return out;
    default:
      if (kQuantLayouts[type]) return dequantizeKQuant(type, src, count, out, h);
      throw new Error(`no decoder for ggml type ${type}`);
  }
}
