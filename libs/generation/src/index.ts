export * from './finish';
export * from './logits-processors';
export * from './prng';
export * from './sampler';
export * from './stop-criteria';
export * from './streaming-detokenizer';
