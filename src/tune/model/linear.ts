/**
 * The dense kernels under every projection, on row-major Float32Arrays. Activations are [rows ×
 * dim]; a weight is [out × in] as GGUF stores it (ggml's ne0 = in is contiguous). The loops are
 * blocked 2 rows × 4 outputs so each loaded value feeds several multiply-adds: measured 3.5–4.5×
 * faster than the plain triple loop in V8 (bench/tune.bench.ts prints the ratio).
 */

/** y[t][o] = Σ_i x[t][i] · w[o][i]  (y = x Wᵀ). Overwrites y. */
export function linearForward(x: Float32Array, rows: number, inDim: number, w: Float32Array, outDim: number, y: Float32Array): void {
  let t = 0;
  for (; t + 1 < rows; t += 2) {
    const xa = t * inDim;
    const xb = xa + inDim;
    const ya = t * outDim;
    const yb = ya + outDim;
    let o = 0;
    for (; o + 3 < outDim; o += 4) {
      const w0 = o * inDim;
      const w1 = w0 + inDim;
      const w2 = w1 + inDim;
      const w3 = w2 + inDim;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
      for (let i = 0; i < inDim; i++) {
        const u = x[xa + i]!;
        const v = x[xb + i]!;
        const p0 = w[w0 + i]!, p1 = w[w1 + i]!, p2 = w[w2 + i]!, p3 = w[w3 + i]!;
        a0 += u * p0; a1 += u * p1; a2 += u * p2; a3 += u * p3;
        b0 += v * p0; b1 += v * p1; b2 += v * p2; b3 += v * p3;
      }
      y[ya + o] = a0; y[ya + o + 1] = a1; y[ya + o + 2] = a2; y[ya + o + 3] = a3;
      y[yb + o] = b0; y[yb + o + 1] = b1; y[yb + o + 2] = b2; y[yb + o + 3] = b3;
    }
    for (; o < outDim; o++) {
      const wo = o * inDim;
      let a = 0, b = 0;
      for (let i = 0; i < inDim; i++) {
        a += x[xa + i]! * w[wo + i]!;
        b += x[xb + i]! * w[wo + i]!;
      }
      y[ya + o] = a;
      y[yb + o] = b;
    }
  }
  if (t < rows) linearForwardRow(x, t * inDim, inDim, w, outDim, y, t * outDim);
}

function linearForwardRow(x: Float32Array, xo: number, inDim: number, w: Float32Array, outDim: number, y: Float32Array, yo: number): void {
  for (let o = 0; o < outDim; o++) {
    const wo = o * inDim;
    let s = 0;
    for (let i = 0; i < inDim; i++) s += x[xo + i]! * w[wo + i]!;
    y[yo + o] = s;
  }
}

/** dx[t][i] += Σ_o dy[t][o] · w[o][i]  (dx += dy W): the input gradient of linearForward. */
export function linearBackwardInput(dy: Float32Array, rows: number, outDim: number, w: Float32Array, inDim: number, dx: Float32Array): void {
  let t = 0;
  for (; t + 1 < rows; t += 2) {
    const xa = t * inDim;
    const xb = xa + inDim;
    const ya = t * outDim;
    const yb = ya + outDim;
    let o = 0;
    for (; o + 3 < outDim; o += 4) {
      const w0 = o * inDim;
      const w1 = w0 + inDim;
      const w2 = w1 + inDim;
      const w3 = w2 + inDim;
      const a0 = dy[ya + o]!, a1 = dy[ya + o + 1]!, a2 = dy[ya + o + 2]!, a3 = dy[ya + o + 3]!;
      const b0 = dy[yb + o]!, b1 = dy[yb + o + 1]!, b2 = dy[yb + o + 2]!, b3 = dy[yb + o + 3]!;
      for (let i = 0; i < inDim; i++) {
        const p0 = w[w0 + i]!, p1 = w[w1 + i]!, p2 = w[w2 + i]!, p3 = w[w3 + i]!;
        dx[xa + i] += a0 * p0 + a1 * p1 + a2 * p2 + a3 * p3;
        dx[xb + i] += b0 * p0 + b1 * p1 + b2 * p2 + b3 * p3;
      }
    }
    for (; o < outDim; o++) {
      const wo = o * inDim;
      const a = dy[ya + o]!;
      const b = dy[yb + o]!;
      for (let i = 0; i < inDim; i++) {
        dx[xa + i] += a * w[wo + i]!;
        dx[xb + i] += b * w[wo + i]!;
      }
    }
  }
  if (t < rows) {
    const xo = t * inDim;
    for (let o = 0; o < outDim; o++) {
      const wo = o * inDim;
      const a = dy[t * outDim + o]!;
      for (let i = 0; i < inDim; i++) dx[xo + i] += a * w[wo + i]!;
    }
  }
}

/** dw[o][i] += Σ_t dy[t][o] · x[t][i]  (dw += dyᵀ x): the weight gradient, used for LoRA factors. */
export function linearBackwardWeight(dy: Float32Array, x: Float32Array, rows: number, outDim: number, inDim: number, dw: Float32Array): void {
  for (let t = 0; t < rows; t++) {
    const xo = t * inDim;
    const yo = t * outDim;
    for (let o = 0; o < outDim; o++) {
      const g = dy[yo + o]!;
      if (g === 0) continue;
      const wo = o * inDim;
      for (let i = 0; i < inDim; i++) dw[wo + i] += g * x[xo + i]!;
    }
  }
}
