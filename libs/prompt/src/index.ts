export * from './batch-prompts';
export * from './chat-templates';
export * from './conversation';
export * from './image-block';
export * from './render-conversation';
export * from './tokenize-prompt';
