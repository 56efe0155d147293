import { ChatServiceService, PROTO_FILES, PROTO_ROOT } from '@internvl/contracts';
import { defineSchema, unimplementedService, type ServiceApp } from '@internvl/service-kit';

const schema = defineSchema({});

/** The gateway tier: the public chat API that orchestrates preprocess, vision and llm. */
export const gatewayApp: ServiceApp<typeof schema> = {
  name: 'gateway',
  description: 'internvl serve gateway — the public chat API that orchestrates preprocess, vision and llm.',
  defaultPort: 50050,
  defaultMetricsPort: 9450,
  schema,
  reflection: { root: PROTO_ROOT, files: PROTO_FILES },
  async setup(host) {
    host.addService(
      'internvl.v1.ChatService',
      ChatServiceService,
      unimplementedService(host.env, ChatServiceService, 'the gateway orchestration is built in issue #7'),
    );
  },
};
