export * from './domain-error';
export * from './abort';
export * from './from-kind';
export * from './limit-exceeded';
