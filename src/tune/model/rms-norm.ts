/**
 * RMSNorm as llama.cpp computes it: y = x / sqrt(mean(x²) + eps) ⊙ weight, row by row.
 * The inverse RMS of each row is kept for the backward pass.
 */
export function rmsNormForward(x: Float32Array, rows: number, dim: number, weight: Float32Array, eps: number, y: Float32Array, invRms: Float32Array): void {
  for (let t = 0; t < rows; t++) {
    const o = t * dim;
    let sum = 0;
    for (let i = 0; i < dim; i++) sum += x[o + i]! * x[o + i]!;
    const r = 1 / Math.sqrt(sum / dim + eps);
    invRms[t] = r;
    for (let i = 0; i < dim; i++) y[o + i] = x[o + i]! * r * weight[i]!;
  }
}

/** dx += ∂loss/∂x given dy; the norm's weight is frozen, so it gets no gradient. */
export function rmsNormBackward(dy: Float32Array, x: Float32Array, rows: number, dim: number, weight: Float32Array, invRms: Float32Array, dx: Float32Array): void {
  for (let t = 0; t < rows; t++) {
    const o = t * dim;
    const r = invRms[t]!;
    // With x̂ = x·r and g = dy ⊙ weight: dx = r · (g − x̂ · mean(g ⊙ x̂)).
    let dot = 0;
    for (let i = 0; i < dim; i++) dot += dy[o + i]! * weight[i]! * x[o + i]! * r;
    const mean = dot / dim;
    for (let i = 0; i < dim; i++) dx[o + i] += r * (dy[o + i]! * weight[i]! - x[o + i]! * r * mean);
  }
}
