/**
 * Hugging Face llama checkpoints rotate q/k with "rotate half" (a head's first half pairs with
 * its second half); llama.cpp rotates adjacent pairs. Its converter therefore reorders the output
 * rows of q_proj and k_proj within each head, and a LoRA's B factor (whose rows are those
 * outputs) needs the same reordering. Row h·d + 2i + j in GGUF is row h·d + j·d/2 + i in HF.
 */
function ggufRowToHfRow(row: number, headDim: number): number {
  const head = Math.floor(row / headDim);
  const within = row % headDim;
  return head * headDim + (within % 2) * (headDim / 2) + Math.floor(within / 2);
}

/** Reorders the rows of a [rows × cols] matrix from HF order into GGUF order. */
export function hfRowsToGguf(matrix: Float32Array, rows: number, cols: number, headDim: number): Float32Array {
  const out = new Float32Array(matrix.length);
  for (let r = 0; r < rows; r++) {
    const from = ggufRowToHfRow(r, headDim);
    out.set(matrix.subarray(from * cols, from * cols + cols), r * cols);
  }
  return out;
}

/** The inverse: GGUF row order back to HF order. */
export function ggufRowsToHf(matrix: Float32Array, rows: number, cols: number, headDim: number): Float32Array {
  const out = new Float32Array(matrix.length);
  for (let r = 0; r < rows; r++) {
    const to = ggufRowToHfRow(r, headDim);
    out.set(matrix.subarray(r * cols, r * cols + cols), to * cols);
  }
  return out;
}
