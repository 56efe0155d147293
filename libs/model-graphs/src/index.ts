export * from './weight-source';
export * from './linear';
export * from './norms';
export * from './decoder-weights';
export * from './vision-graph';
export * from './decoder-graph';
