/**
 * The k-quant formats (256-element super-blocks with 6-bit packed sub-block scales), the types
 * behind the popular Q4_K_M / Q5_K_M / Q6_K files. Written from ggml's block layouts.
 */

export const kQuantLayouts: Readonly<Record<number, { name: string; block: number; bytes: number }>> = {
  10: { name: 'Q2_K', block: 256, bytes: 84 },
  11: { name: 'Q3_K', block: 256, bytes: 110 },
  12: { name: 'Q4_K', block: 256, bytes: 144 },
  13: { name: 'Q5_K', block: 256, bytes: 176 },
  14: { name: 'Q6_K', block: 256, bytes: 210 },
};

type Half = (at: number) => number;

/** Q4_K/Q5_K keep 8 (scale, min) pairs of 6 bits each in 12 bytes. */
function scaleMin(src: Uint8Array, at: number, j: number): [number, number] {
  if (j < 4) return [src[at + j]! & 63, src[at + j + 4]! & 63];
  return [(src[at + j + 4]! & 0x0f) | ((src[at + j - 4]! >> 6) << 4), (src[at + j + 4]! >> 4) | ((src[at + j]! >> 6) << 4)];
}

/** Q3_K keeps 16 signed 6-bit scales in 12 bytes: low nibbles first, then the 2-bit high parts. */
function q3Scales(src: Uint8Array, at: number): Int8Array {
  const scales = new Int8Array(16);
  for (let i = 0; i < 16; i++) {
    const low = i < 8 ? src[at + i]! & 0x0f : src[at + i - 8]! >> 4;
    const high = (src[at + 8 + (i % 4)]! >> (2 * Math.floor(i / 4))) & 3;
    scales[i] = (low | (high << 4)) - 32;
  }
  return scales;
}

export function dequantizeKQuant(type: number, src: Uint8Array, count: number, out: Float32Array, h: Half): Float32Array {
  const bytes = kQuantLayouts[type]!.bytes;
  for (let b = 0; b < count / 256; b++) {
    const at = b * bytes;
    let y = b * 256;
    if (type === 12 || type === 13) {
      const d = h(at);
      const dmin = h(at + 2);
      const qhAt = at + 16;
      let qs = at + (type === 12 ? 16 : 48);
      for (let j = 0, sub = 0; j < 256; j += 64, sub += 2) {
        const [s1, m1] = scaleMin(src, at + 4, sub);
        const [s2, m2] = scaleMin(src, at + 4, sub + 1);
        const highLow = 1 << sub;
        const highHigh = 2 << sub;
        for (let l = 0; l < 32; l++) {
          const extra = type === 13 && (src[qhAt + l]! & highLow) ? 16 : 0;
          out[y++] = d * s1 * ((src[qs + l]! & 0x0f) + extra) - dmin * m1;
        }
        for (let l = 0; l < 32; l++) {
          const extra = type === 13 && (src[qhAt + l]! & highHigh) ? 16 : 0;
          out[y++] = d * s2 * ((src[qs + l]! >> 4) + extra) - dmin * m2;
        }
        qs += 32;
      }
    } else if (type === 14) {
      const d = h(at + 208);
      for (let n = 0; n < 2; n++) {
        const ql = at + n * 64;
        const qh = at + 128 + n * 32;
        const sc = at + 192 + n * 8;
        const s = (k: number): number => (src[sc + k]! << 24) >> 24;
        for (let l = 0; l < 32; l++) {
          const is = l >> 4;
          const q1 = ((src[ql + l]! & 0x0f) | ((src[qh + l]! & 3) << 4)) - 32;
          const q2 = ((src[ql + l + 32]! & 0x0f) | (((src[qh + l]! >> 2) & 3) << 4)) - 32;
          const q3 = ((src[ql + l]! >> 4) | (((src[qh + l]! >> 4) & 3) << 4)) - 32;
          const q4 = ((src[ql + l + 32]! >> 4) | (((src[qh + l]! >> 6) & 3) << 4)) - 32;
          out[y + l] = d * s(is) * q1;
          out[y + l + 32] = d * s(is + 2) * q2;
          out[y + l + 64] = d * s(is + 4) * q3;
          out[y + l + 96] = d * s(is + 6) * q4;
        }
        y += 128;
      }
    } else if (type === 10) {
      const d = h(at + 80);
      const dmin = h(at + 82);
      let is = 0;
      for (let n = 0; n < 2; n++) {
        const q = at + 16 + n * 32;
        for (let shift = 0; shift < 8; shift += 2) {
          for (let half = 0; half < 2; half++) {
            const sc = src[at + is++]!;
            for (let l = 0; l < 16; l++) out[y++] = d * (sc & 0x0f) * ((src[q + half * 16 + l]! >> shift) & 3) - dmin * (sc >> 4);
          }
        }
      }
    } else {
      const d = h(at + 108);
      const scales = q3Scales(src, at + 96);
      let is = 0;
      let mask = 1;
      for (let n = 0; n < 2; n++) {
        const q = at + 32 + n * 32;
        for (let shift = 0; shift < 8; shift += 2) {
          for (let half = 0; half < 2; half++) {
            const dl = d * scales[is++]!;
            for (let l = 0; l < 16; l++) {
              const k = half * 16 + l;
              out[y++] = dl * (((src[q + k]! >> shift) & 3) - (src[at + k]! & mask ? 0 : 4));
            }
          }
          mask <<= 1;
        }
      }
    }
  }
  return out;
}
