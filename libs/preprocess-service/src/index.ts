export { preprocessApp } from './preprocess-app';
