export { visionApp } from './vision-app';
