import { LlmServiceService, PROTO_FILES, PROTO_ROOT } from '@internvl/contracts';
import { defineSchema, unimplementedService, type ServiceApp } from '@internvl/service-kit';

const schema = defineSchema({});

/** The llm tier: renders prompts and streams generated tokens with a KV cache. */
export const llmApp: ServiceApp<typeof schema> = {
  name: 'llm',
  description: 'internvl serve llm — renders prompts and streams generated tokens with a KV cache.',
  defaultPort: 50053,
  defaultMetricsPort: 9453,
  schema,
  reflection: { root: PROTO_ROOT, files: PROTO_FILES },
  async setup(host) {
    host.addService(
      'internvl.v1.LlmService',
      LlmServiceService,
      unimplementedService(
        host.env,
        LlmServiceService,
        'the llm tier needs the model toolchain (issue #4) and is built in issue #6',
      ),
    );
  },
};
