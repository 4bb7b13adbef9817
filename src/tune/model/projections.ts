/**
 * The seven llama projections LoRA can target, with their names in the three vocabularies we
 * speak: the CLI's short names, GGUF tensor names and Hugging Face / PEFT module paths.
 */
export const projectionNames = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const;
export type ProjectionName = (typeof projectionNames)[number];

export const projections = {
  q: { gguf: 'attn_q', hf: 'self_attn.q_proj' },
  k: { gguf: 'attn_k', hf: 'self_attn.k_proj' },
  v: { gguf: 'attn_v', hf: 'self_attn.v_proj' },
  o: { gguf: 'attn_output', hf: 'self_attn.o_proj' },
  gate: { gguf: 'ffn_gate', hf: 'mlp.gate_proj' },
  up: { gguf: 'ffn_up', hf: 'mlp.up_proj' },
  down: { gguf: 'ffn_down', hf: 'mlp.down_proj' },
} as const satisfies Record<ProjectionName, { gguf: string; hf: string }>;

export function isProjectionName(value: string): value is ProjectionName {
  return (projectionNames as readonly string[]).includes(value);
}

export function projectionByGgufName(name: string): ProjectionName | undefined {
  return projectionNames.find((p) => projections[p].gguf === name);
}

export function projectionByHfName(name: string): ProjectionName | undefined {
  return projectionNames.find((p) => projections[p].hf === name || projections[p].hf.endsWith(`.${name}`));
}
