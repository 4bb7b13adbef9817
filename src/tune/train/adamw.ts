/**
 * AdamW (Loshchilov & Hutter): Adam moments with bias correction, and weight decay applied to
 * the weights directly rather than through the gradient.
 */
export interface Parameter {
  data: Float32Array;
  grad: Float32Array;
}

export interface AdamWSettings {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const defaultAdamW: AdamWSettings = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

export interface AdamWState {
  /** Updates applied so far (the t of the bias correction). */
  t: number;
  m: Float32Array[];
  v: Float32Array[];
}

export function createAdamWState(parameters: readonly Parameter[]): AdamWState {
  return { t: 0, m: parameters.map((p) => new Float32Array(p.data.length)), v: parameters.map((p) => new Float32Array(p.data.length)) };
}

export function adamWStep(parameters: readonly Parameter[], state: AdamWState, learningRate: number, settings: AdamWSettings = defaultAdamW): void {
  state.t += 1;
  const { beta1, beta2, eps, weightDecay } = settings;
  const correction1 = 1 - beta1 ** state.t;
  const correction2 = 1 - beta2 ** state.t;
  for (let p = 0; p < parameters.length; p++) {
    const { data, grad } = parameters[p]!;
    const m = state.m[p]!;
    const v = state.v[p]!;
    for (let i = 0; i < data.length; i++) {
      const g = grad[i]!;
      m[i] = beta1 * m[i]! + (1 - beta1) * g;
      v[i] = beta2 * v[i]! + (1 - beta2) * g * g;
      const update = m[i]! / correction1 / (Math.sqrt(v[i]! / correction2) + eps);
      data[i] = data[i]! - learningRate * (update + weightDecay * data[i]!);
    }
  }
}

/** Scales gradients down so their global L2 norm is at most maxNorm; returns the norm before. */
export function clipGradientNorm(parameters: readonly Parameter[], maxNorm: number): number {
  let sum = 0;
  for (const { grad } of parameters) for (let i = 0; i < grad.length; i++) sum += grad[i]! * grad[i]!;
  const norm = Math.sqrt(sum);
  if (maxNorm > 0 && norm > maxNorm) {
    const scale = maxNorm / norm;
    for (const { grad } of parameters) for (let i = 0; i < grad.length; i++) grad[i] *= scale;
  }
  return norm;
}
