/** SiLU (swish): x·sigmoid(x), the Phi-3 / InternLM2 MLP activation. */
export function silu(x: number): number {
  return x / (1 + Math.exp(-x));
}
