export { llmApp } from './llm-app';
