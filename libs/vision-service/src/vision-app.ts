import { VisionServiceService, PROTO_FILES, PROTO_ROOT } from '@internvl/contracts';
import { defineSchema, unimplementedService, type ServiceApp } from '@internvl/service-kit';

const schema = defineSchema({});

/** The vision tier: runs InternViT + pixel shuffle + mlp1 and returns image embeddings. */
export const visionApp: ServiceApp<typeof schema> = {
  name: 'vision',
  description: 'internvl serve vision — runs InternViT + pixel shuffle + mlp1 and returns image embeddings.',
  defaultPort: 50052,
  defaultMetricsPort: 9452,
  schema,
  reflection: { root: PROTO_ROOT, files: PROTO_FILES },
  async setup(host) {
    host.addService(
      'internvl.v1.VisionService',
      VisionServiceService,
      unimplementedService(
        host.env,
        VisionServiceService,
        'the vision tier needs the model toolchain (issue #4) and is built in issue #5',
      ),
    );
  },
};
