/** SwiGLU's gate: act = silu(gate) ⊙ up, silu(g) = g · sigmoid(g). */
export function swigluForward(gate: Float32Array, up: Float32Array, act: Float32Array, length: number): void {
  for (let i = 0; i < length; i++) {
    const g = gate[i]!;
    act[i] = (g / (1 + Math.exp(-g))) * up[i]!;
  }
}

/** Overwrites dGate and dUp with the gradients of act given dAct. */
export function swigluBackward(dAct: Float32Array, gate: Float32Array, up: Float32Array, dGate: Float32Array, dUp: Float32Array, length: number): void {
  for (let i = 0; i < length; i++) {
    const g = gate[i]!;
    const s = 1 / (1 + Math.exp(-g));
    const d = dAct[i]!;
    dUp[i] = d * g * s;
    dGate[i] = d * up[i]! * s * (1 + g * (1 - s));
  }
}
