/**
 * Causal grouped-query attention. q is [T × H·d], k and v are [T × Hkv·d]; query head h reads
 * key/value head floor(h / (H/Hkv)), as llama.cpp's broadcast and Hugging Face's repeat_kv both do.
 * The softmax probabilities [H × T × T] are kept for the backward pass.
 */
export interface AttentionShape {
  rows: number;
  heads: number;
  kvHeads: number;
  headDim: number;
}

export function attentionForward(q: Float32Array, k: Float32Array, v: Float32Array, shape: AttentionShape, probs: Float32Array, out: Float32Array): void {
  const { rows: T, heads: H, kvHeads: Hkv, headDim: d } = shape;
  const group = H / Hkv;
  const scale = 1 / Math.sqrt(d);
  const qStride = H * d;
  const kvStride = Hkv * d;
  out.fill(0, 0, T * qStride);
  for (let h = 0; h < H; h++) {
    const kvOff = Math.floor(h / group) * d;
    for (let t = 0; t < T; t++) {
      const qo = t * qStride + h * d;
      const po = (h * T + t) * T;
      let max = -Infinity;
      for (let u = 0; u <= t; u++) {
        const ko = u * kvStride + kvOff;
        let s = 0;
        for (let i = 0; i < d; i++) s += q[qo + i]! * k[ko + i]!;
        s *= scale;
        probs[po + u] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      for (let u = 0; u <= t; u++) {
        const e = Math.exp(probs[po + u]! - max);
        probs[po + u] = e;
        sum += e;
      }
      for (let u = 0; u <= t; u++) {
        const p = probs[po + u]! / sum;
        probs[po + u] = p;
        const vo = u * kvStride + kvOff;
        for (let i = 0; i < d; i++) out[qo + i] += p * v[vo + i]!;
      }
      probs.fill(0, po + t + 1, po + T);
    }
  }
}

/** dq, dk and dv are accumulated into (+=); dq has q's layout, dk and dv k's. */
export function attentionBackward(
  dOut: Float32Array,
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  probs: Float32Array,
  shape: AttentionShape,
  dq: Float32Array,
  dk: Float32Array,
  dv: Float32Array,
  scratch: Float32Array,
): void {
  const { rows: T, heads: H, kvHeads: Hkv, headDim: d } = shape;
  const group = H / Hkv;
  const scale = 1 / Math.sqrt(d);
  const qStride = H * d;
  const kvStride = Hkv * d;
  for (let h = 0; h < H; h++) {
    const kvOff = Math.floor(h / group) * d;
    for (let t = 0; t < T; t++) {
      const qo = t * qStride + h * d;
      const po = (h * T + t) * T;
      // dP[u] = dOut_t · v_u; dS = P ⊙ (dP − Σ P·dP).
      let dot = 0;
      for (let u = 0; u <= t; u++) {
        const vo = u * kvStride + kvOff;
        let s = 0;
        for (let i = 0; i < d; i++) s += dOut[qo + i]! * v[vo + i]!;
        scratch[u] = s;
        dot += s * probs[po + u]!;
        const p = probs[po + u]!;
        for (let i = 0; i < d; i++) dv[vo + i] += p * dOut[qo + i]!;
      }
      for (let u = 0; u <= t; u++) {
        const ds = probs[po + u]! * (scratch[u]! - dot) * scale;
        if (ds === 0) continue;
        const ko = u * kvStride + kvOff;
        for (let i = 0; i < d; i++) {
          dq[qo + i] += ds * k[ko + i]!;
          dk[ko + i] += ds * q[qo + i]!;
        }
      }
    }
  }
}
