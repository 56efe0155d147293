export { gatewayApp, createGatewayApp, type GatewayAppHooks, type GatewayRuntime } from './gateway-app';
export { gatewaySchema } from './gateway-config';
export type { ChatEngine, ChatRunOptions } from './chat/chat-engine';
export { ChatOrchestrator, type ChatOrchestratorOptions } from './chat/chat-orchestrator';
export { checkBearer, type BearerCheck } from './auth/api-keys';
export { createTiers, closeTiers, type TierAddresses } from './downstream/create-tiers';
export type { ChatLimits } from './chat/chat-limits';
