export * from './float-convert';
export * from './float-arrays';
