export * from './batch-prompts';
export * from './conversation';
export * from './image-block';
export * from './render-conversation';
export * from './tokenize-prompt';
