import { attentionBackward } from './attention.ts';
import { linearBackwardInput } from './linear.ts';
import type { ForwardOptions, ForwardTrace } from './llama-forward.ts';
import type { LlamaModel } from './llama-weights.ts';
import { loraBackward, loraScale } from './lora.ts';
import type { ProjectionName } from './projections.ts';
import { rmsNormBackward } from './rms-norm.ts';
import { applyRope } from './rope.ts';
import { swigluBackward } from './swiglu.ts';

/**
 * Backpropagates dLogits through the model. Base weights are frozen, so only activations flow
 * back, and the adapter's factors accumulate into their gradA/gradB (+=, for gradient
 * accumulation over a batch).
 */
export function llamaBackward(model: LlamaModel, trace: ForwardTrace, dLogits: Float32Array, options: ForwardOptions = {}): void {
  const { config } = model;
  const T = trace.rows;
  const E = config.embd;
  const qDim = config.heads * config.headDim;
  const kvDim = config.kvHeads * config.headDim;
  const shape = { rows: T, heads: config.heads, kvHeads: config.kvHeads, headDim: config.headDim };
  const scratch = new Float32Array(T);

  const dFinalNormed = new Float32Array(T * E);
  linearBackwardInput(dLogits, T, config.vocab, model.output, E, dFinalNormed);
  let dx = new Float32Array(T * E);
  rmsNormBackward(dFinalNormed, trace.final, T, E, model.outputNorm, trace.finalInvRms, dx);

  for (let l = config.layers - 1; l >= 0; l--) {
    const weights = model.layers[l]!;
    const block = trace.blocks[l]!;
    const loraLayer = options.adapter?.layers[l];
    const backProject = (name: ProjectionName, dy: Float32Array, inDim: number, outDim: number, dInput: Float32Array): void => {
      linearBackwardInput(dy, T, outDim, weights.proj[name], inDim, dInput);
      const factor = loraLayer?.[name];
      const loraTrace = block.lora[name];
      if (factor && loraTrace && options.adapter) {
        loraBackward(dy, T, factor, loraScale(options.adapter, factor) * (options.adapterScale ?? 1), loraTrace, dInput);
      }
    };

    // out = mid + down(swiglu(gate(n2), up(n2))), n2 = norm(mid)
    const dAct = new Float32Array(T * config.ffn);
    backProject('down', dx, config.ffn, E, dAct);
    const dGate = new Float32Array(T * config.ffn);
    const dUp = new Float32Array(T * config.ffn);
    swigluBackward(dAct, block.gate, block.up, dGate, dUp, dAct.length);
    const dFfnNormed = new Float32Array(T * E);
    backProject('gate', dGate, E, config.ffn, dFfnNormed);
    backProject('up', dUp, E, config.ffn, dFfnNormed);
    const dMid = dx;
    rmsNormBackward(dFfnNormed, block.mid, T, E, weights.ffnNorm, block.ffnInvRms, dMid);

    // mid = input + o(attention(rope(q(n1)), rope(k(n1)), v(n1))), n1 = norm(input)
    const dAttnOut = new Float32Array(T * qDim);
    backProject('o', dMid, qDim, E, dAttnOut);
    const dq = new Float32Array(T * qDim);
    const dk = new Float32Array(T * kvDim);
    const dv = new Float32Array(T * kvDim);
    attentionBackward(dAttnOut, block.q, block.k, block.v, block.probs, shape, dq, dk, dv, scratch);
    applyRope(dq, T, config.heads, config.headDim, trace.rope, -1);
    applyRope(dk, T, config.kvHeads, config.headDim, trace.rope, -1);
    const dAttnNormed = new Float32Array(T * E);
    backProject('q', dq, E, qDim, dAttnNormed);
    backProject('k', dk, E, kvDim, dAttnNormed);
    backProject('v', dv, E, kvDim, dAttnNormed);
    const dInput = dMid;
    rmsNormBackward(dAttnNormed, block.input, T, E, weights.attnNorm, block.attnInvRms, dInput);
    dx = dInput;
  }
}
