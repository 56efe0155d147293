import type { GraphBuilder } from '@internvl/onnx';
import type { TensorSpec } from '@internvl/model-config';

/** Declares `spec` (model-config's IO contract) as a graph input; returns its value name. */
export function specInput(g: GraphBuilder, spec: TensorSpec): string {
  return g.input(spec.name, spec.type, spec.dims);
}

/** Makes `value` the graph output `spec`, renamed to the contract's name through an Identity. */
export function specOutput(g: GraphBuilder, value: string, spec: TensorSpec): void {
  g.node('Identity', [value], { outputs: [spec.name] });
  g.output(spec.name, spec.type, spec.dims);
}
