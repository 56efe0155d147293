export * from './float-convert';
export * from './float-arrays';
export * from './float-type-flags';
