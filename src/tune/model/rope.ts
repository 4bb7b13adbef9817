/**
 * Rotary position embedding in llama.cpp's "normal" mode, the one its llama graph uses: adjacent
 * pairs (x[2i], x[2i+1]) of each head rotate by pos · base^(-2i/nRot). GGUF conversion permutes
 * the q/k weights so this matches the Hugging Face rotate-half layout (see adapter/hf-permute.ts).
 */
export interface RopeSettings {
  /** Rotated dimensions per head (llama.rope.dimension_count); the rest pass through. */
  nRot: number;
  base: number;
  /** 1 / linear scaling factor. */
  freqScale: number;
  /** Per-pair divisors from a `rope_freqs.weight` tensor (Llama 3.1 style), if the model has one. */
  freqFactors?: Float32Array | undefined;
}

export interface RopeTable {
  cos: Float32Array;
  sin: Float32Array;
  positions: number;
  pairs: number;
}

/** cos/sin for positions 0..positions-1, built the way ggml builds them (float32 steps). */
export function ropeTable(settings: RopeSettings, positions: number): RopeTable {
  const pairs = settings.nRot / 2;
  const cos = new Float32Array(positions * pairs);
  const sin = new Float32Array(positions * pairs);
  const step = Math.fround(Math.pow(settings.base, -2 / settings.nRot));
  for (let p = 0; p < positions; p++) {
    let theta = p;
    for (let i = 0; i < pairs; i++) {
      const factor = settings.freqFactors ? settings.freqFactors[i]! : 1;
      const angle = Math.fround(settings.freqScale * Math.fround(theta / factor));
      cos[p * pairs + i] = Math.cos(angle);
      sin[p * pairs + i] = Math.sin(angle);
      theta = Math.fround(theta * step);
    }
  }
  return { cos, sin, positions, pairs };
}

/**
 * Rotates x [rows × heads·headDim] in place, row t at position t. `direction` -1 applies the
 * inverse rotation, which is exactly the backward pass (a rotation's transpose is its inverse).
 */
export function applyRope(x: Float32Array, rows: number, heads: number, headDim: number, table: RopeTable, direction: 1 | -1 = 1): void {
  const { pairs } = table;
  for (let t = 0; t < rows; t++) {
    const c = t * pairs;
    for (let h = 0; h < heads; h++) {
      const o = (t * heads + h) * headDim;
      for (let i = 0; i < pairs; i++) {
        const cs = table.cos[c + i]!;
        const sn = direction * table.sin[c + i]!;
        const x0 = x[o + 2 * i]!;
        const x1 = x[o + 2 * i + 1]!;
        x[o + 2 * i] = x0 * cs - x1 * sn;
        x[o + 2 * i + 1] = x0 * sn + x1 * cs;
      }
    }
  }
}
