import { commonServerSchema, defineSchema, envName, flagName } from '@internvl/service-kit';

const MiB = 1024 * 1024;

const ADDRESS_DOC =
  'comma-separated host:port replicas (IP literals), or one target such as dns:///NAME:PORT that resolves to all of them';

/** Config of the gateway tier (on top of the options every tier shares). */
export const gatewaySchema = defineSchema({
  // Images travel inline in ChatService requests, so the common 4 MiB limit is too small here.
  max_receive_message_bytes: {
    ...commonServerSchema.max_receive_message_bytes,
    default: 64 * MiB,
    doc: 'Largest single ChatService request accepted (images travel inline in it).',
  },
  // The public API keeps reflection on (grpcurl); the internal tiers leave it off.
  reflection: {
    ...commonServerSchema.reflection,
    default: true,
    doc: 'Serve gRPC server reflection (grpc.reflection.v1, for grpcurl and friends) on the ChatService port; --no-reflection turns it off.',
  },
  preprocess_addr: {
    type: 'list',
    default: ['127.0.0.1:50051'],
    doc: `Preprocess tier: ${ADDRESS_DOC}.`,
  },
  vision_addr: { type: 'list', default: ['127.0.0.1:50052'], doc: `Vision tier: ${ADDRESS_DOC}.` },
  llm_addr: { type: 'list', default: ['127.0.0.1:50053'], doc: `Llm tier: ${ADDRESS_DOC}.` },
  downstream_tls_ca_file: {
    type: 'string',
    default: '',
    doc: "PEM of the CA that signed the downstream tiers' certificates; when set, calls to them use TLS.",
  },
  downstream_tls_cert_file: {
    type: 'string',
    default: '',
    doc: "PEM client certificate the gateway presents to the tiers (mutual TLS: the tiers' tls_client_ca_file signed it); with downstream_tls_key_file and downstream_tls_ca_file.",
  },
  downstream_tls_key_file: {
    type: 'string',
    default: '',
    doc: 'PEM private key of downstream_tls_cert_file.',
  },
  downstream_tls_server_name: {
    type: 'string',
    default: '',
    doc: "Name the tiers' certificates are checked against (and the calls' :authority) instead of the dialed host, e.g. tiers.internvl.svc.cluster.local for replicas dialed by pod IP (grpc.ssl_target_name_override); empty = the host of each address.",
  },
  downstream_reconnect_initial_backoff_ms: {
    type: 'int',
    default: 100,
    min: 1,
    doc: 'First wait before reconnecting to a tier that could not be reached (grpc.initial_reconnect_backoff_ms); it grows ×1.6 per failed attempt up to downstream_reconnect_max_backoff_ms.',
  },
  downstream_reconnect_max_backoff_ms: {
    type: 'int',
    default: 1_000,
    min: 1,
    doc: "Longest wait between reconnect attempts to a tier (grpc.max_reconnect_backoff_ms); bounds how long after a tier's restart the gateway may keep failing (grpc-js default: 120000).",
  },
  downstream_health_interval_ms: {
    type: 'int',
    default: 500,
    min: 50,
    doc: "How often the gateway checks each tier's grpc.health.v1 status; GET /ready and the gateway's ChatService health follow it.",
  },
  max_images: {
    type: 'int',
    default: 16,
    min: 0,
    doc: 'Most images in one chat (all messages together).',
  },
  max_total_tiles: {
    type: 'int',
    default: 128,
    min: 1,
    doc: 'Most tiles (thumbnails included) of all images of one chat together; bounds the image tokens of a prompt.',
  },
  default_max_tiles: {
    type: 'int',
    default: 12,
    min: 1,
    max: 40,
    doc: "Tiles per image when a request does not say (InternVL's max_num).",
  },
  image_cache_lookup: {
    type: 'bool',
    default: true,
    doc: "Ask the vision tier's embedding cache by the image's key before preprocessing it; a hit (an image re-sent in a later round) skips decoding, tiling and the pixel transfer.",
  },
  replica_affinity: {
    type: 'bool',
    default: true,
    doc: "Route by key across a tier's replicas: an image to the vision replica that cached its embeddings, a conversation's rounds to the llm replica that holds its prefix (rendezvous hashing; a replica down or full passes the call to the next). Off: replicas in turn.",
  },
  max_batch_inputs: {
    type: 'int',
    default: 32,
    min: 1,
    doc: 'Most inputs in one BatchChat call.',
  },
  batch_concurrency: {
    type: 'int',
    default: 0,
    min: 0,
    doc: 'Inputs of one BatchChat that run at once (the others wait their turn), so one batch cannot fill the preprocess queue; 0 = max(1, floor(32 / max_images)), i.e. at most 32 images of a batch at once (half the preprocess default max_queue of 64).',
  },
  default_timeout_ms: {
    type: 'int',
    default: 300_000,
    min: 0,
    doc: 'Deadline of a chat whose caller sets none (gRPC deadline or HTTP), passed on to every tier; 0 = none.',
  },
  http_host: {
    type: 'string',
    default: '127.0.0.1',
    doc: 'Interface the OpenAI-compatible HTTP API binds (0.0.0.0 for all).',
  },
  http_port: {
    type: 'int',
    default: 8080,
    min: 0,
    max: 65535,
    doc: 'Port of the OpenAI-compatible HTTP API; 0 picks a free port. Uses TLS with tls_cert_file/tls_key_file.',
  },
  max_body_bytes: {
    type: 'int',
    default: 64 * MiB,
    min: 1024,
    doc: 'Largest HTTP request body accepted (images travel inline as data: URLs).',
  },
  http_headers_timeout_ms: {
    type: 'int',
    default: 10_000,
    min: 0,
    doc: 'Most time a client may take to send the headers of an HTTP request (else 408, connection closed); 0 = no limit. At most http_request_timeout_ms.',
  },
  http_request_timeout_ms: {
    type: 'int',
    default: 60_000,
    min: 0,
    doc: 'Most time a client may take to send a whole HTTP request, body included (else 408, connection closed); responses (streams) are not limited by it. Raise it for large images over slow uplinks; 0 = no limit.',
  },
  http_max_connections: {
    type: 'int',
    default: 4096,
    min: 0,
    doc: 'Most open HTTP connections (each stream holds one); more are closed at once. 0 = no limit.',
  },
  playground: {
    type: 'bool',
    default: true,
    doc: 'Serve the browser playground at / on the HTTP port (a page that uses the OpenAI-compatible API like any client); --no-playground turns it off (404).',
  },
  remote_image_hosts: {
    type: 'list',
    default: [],
    doc: 'Hosts whose http(s) image URLs may be fetched, comma-separated; empty = only data: URLs are accepted.',
  },
  api_keys: {
    type: 'list',
    default: [],
    secret: true,
    doc: 'Accepted API keys, comma-separated; callers send `authorization: Bearer <key>`. Empty (and no api_keys_file) = no auth.',
  },
  api_keys_file: {
    type: 'string',
    default: '',
    doc: 'File with more API keys, one per line (blank lines and # comments ignored).',
  },
  model_name: {
    type: 'string',
    default: '',
    doc: "Model id of the HTTP API (the `model` clients send). Empty: the llm tier's model name, asked at start-up ('internvl' if it does not answer in model_name_wait_ms). Set it to keep the id independent of start order.",
  },
  model_name_wait_ms: {
    type: 'int',
    default: 5_000,
    min: 0,
    doc: 'How long start-up waits for the llm tier to tell its model name when model_name is empty (tiers start in any order).',
  },
});

/** "--max-images (INTERNVL_GATEWAY_MAX_IMAGES)": how to raise a gateway option, for error messages. */
export function gatewayOption(key: keyof typeof gatewaySchema): string {
  return `${flagName(key)} (${envName('gateway', key)})`;
}
