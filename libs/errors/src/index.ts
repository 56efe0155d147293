export * from './domain-error';
export * from './abort';
