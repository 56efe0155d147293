export * from './float-convert';
