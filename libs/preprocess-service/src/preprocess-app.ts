import { PreprocessServiceService, PROTO_FILES, PROTO_ROOT } from '@internvl/contracts';
import { defineSchema, unimplementedService, type ServiceApp } from '@internvl/service-kit';

const schema = defineSchema({});

/** The preprocess tier: decodes images and tiles and normalizes them exactly as InternVL does. */
export const preprocessApp: ServiceApp<typeof schema> = {
  name: 'preprocess',
  description:
    'internvl serve preprocess — decodes images and tiles and normalizes them exactly as InternVL does.',
  defaultPort: 50051,
  defaultMetricsPort: 9451,
  schema,
  reflection: { root: PROTO_ROOT, files: PROTO_FILES },
  async setup(host) {
    host.addService(
      'internvl.v1.PreprocessService',
      PreprocessServiceService,
      unimplementedService(
        host.env,
        PreprocessServiceService,
        'the preprocess tier is being built (issue #3)',
      ),
    );
  },
};
