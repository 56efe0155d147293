export * from './convert-checkpoint';
