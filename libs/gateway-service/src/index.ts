export { gatewayApp } from './gateway-app';
