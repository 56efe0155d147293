import {
  GENERATION_PARAM_BOUNDS as B,
  generationParams,
  Role,
  type GenerationParams,
} from '@internvl/contracts';
import { gatewayOption } from '../gateway-config';
import { parseLogprobPenaltyFields } from './logprob-penalty-fields';
import { parseResponseFormat } from './response-format';
import { InvalidRequestError, modelNotFound } from './openai-errors';
import {
  isAbsent,
  isObject,
  optionalBoolean,
  optionalNumber,
  rejectUnless,
  type JsonObject,
} from './request-fields';

export interface RequestLimits {
  modelName: string;
  maxImages: number;
  /** Tiles per image when the request sets neither `max_num` nor `detail: 'low'`. */
  defaultMaxTiles: number;
}

export type RequestPart =
  | { type: 'text'; text: string }
  | {
      type: 'image';
      url: string;
      maxTiles: number;
      /** Where the URL sits in the body, for error messages ("messages[1].content[0].image_url.url"). */
      param: string;
    };

export interface RequestMessage {
  role: Role;
  parts: RequestPart[];
}

/** A validated /v1/chat/completions body; images are still URLs (loading them is async). */
export interface ChatCompletionRequest {
  model: string;
  messages: RequestMessage[];
  stream: boolean;
  includeUsage: boolean;
  params: GenerationParams;
}

/** InternVL's dynamic tiling goes up to 40 tiles per image (TilingOptions.max_tiles). */
const MAX_TILES_LIMIT = 40;

const ROLES: Record<string, Role> = {
  system: Role.ROLE_SYSTEM,
  // Newer OpenAI clients send instructions as 'developer'; for this model it is the system prompt.
  developer: Role.ROLE_SYSTEM,
  user: Role.ROLE_USER,
  assistant: Role.ROLE_ASSISTANT,
};

/** Validates the body of POST /v1/chat/completions; every rejection names the field and the fix. */
export function parseChatCompletionRequest(body: unknown, limits: RequestLimits): ChatCompletionRequest {
  if (!isObject(body)) throw new InvalidRequestError('The request body must be a JSON object');
  const model = body.model;
  if (typeof model !== 'string' || model === '') {
    throw new InvalidRequestError(`'model' is required; this server serves '${limits.modelName}'`, 'model');
  }
  if (model !== limits.modelName) throw modelNotFound(model, limits.modelName);
  rejectUnsupported(body);
  const stream = optionalBoolean(body, 'stream') ?? false;
  const maxTiles =
    optionalNumber(body, 'max_num', { integer: true, min: 1, max: MAX_TILES_LIMIT }) ??
    limits.defaultMaxTiles;
  const messages = parseMessages(body.messages, maxTiles);
  const images = messages.flatMap((m) => m.parts).filter((p) => p.type === 'image').length;
  if (images > limits.maxImages) {
    throw new InvalidRequestError(
      `This request has ${images} images; the limit is ${limits.maxImages} per request ` +
        `(the gateway's ${gatewayOption('max_images')})`,
      'messages',
    );
  }
  return {
    model,
    messages,
    stream,
    includeUsage: parseStreamOptions(body, stream),
    params: parseParams(body),
  };
}

function rejectUnsupported(body: JsonObject): void {
  rejectUnless(body, 'logit_bias', (v) => isObject(v) && Object.keys(v).length === 0);
  rejectUnless(body, 'tools', (v) => Array.isArray(v) && v.length === 0);
  rejectUnless(body, 'functions', (v) => Array.isArray(v) && v.length === 0);
  rejectUnless(body, 'tool_choice', (v) => v === 'none');
  rejectUnless(body, 'function_call', (v) => v === 'none');
  rejectUnless(body, 'audio', () => false);
}

function parseStreamOptions(body: JsonObject, stream: boolean): boolean {
  const options = body.stream_options;
  if (isAbsent(options)) return false;
  if (!stream) {
    throw new InvalidRequestError("'stream_options' is only allowed when 'stream' is true", 'stream_options');
  }
  if (!isObject(options))
    throw new InvalidRequestError("'stream_options' must be an object", 'stream_options');
  const include = options.include_usage;
  if (isAbsent(include)) return false;
  if (typeof include !== 'boolean') {
    throw new InvalidRequestError(
      "'stream_options.include_usage' must be a boolean",
      'stream_options.include_usage',
    );
  }
  return include;
}

function parseParams(body: JsonObject): GenerationParams {
  const maxTokens = optionalNumber(body, 'max_tokens', { integer: true, min: 1 });
  const maxCompletionTokens = optionalNumber(body, 'max_completion_tokens', { integer: true, min: 1 });
  if (maxTokens !== undefined && maxCompletionTokens !== undefined && maxTokens !== maxCompletionTokens) {
    throw new InvalidRequestError(
      "'max_tokens' and 'max_completion_tokens' disagree; send only 'max_completion_tokens'",
      'max_tokens',
    );
  }
  return generationParams({
    // 0 = the llm tier's default.
    maxNewTokens: maxCompletionTokens ?? maxTokens ?? 0,
    // Absent = 0 = greedy, the model card's default (OpenAI's default would be 1).
    temperature: optionalNumber(body, 'temperature', { min: 0, max: 2 }) ?? 0,
    topP: optionalNumber(body, 'top_p', { min: 0, minExclusive: true, max: 1 }),
    topK: optionalNumber(body, 'top_k', { integer: true, min: 0 }) ?? 0,
    repetitionPenalty: optionalNumber(body, 'repetition_penalty', {
      min: 0,
      minExclusive: true,
      max: B.repetitionPenalty,
    }),
    // uint64 on the wire, but only integers a JavaScript number holds exactly.
    seed: optionalNumber(body, 'seed', { integer: true, min: 0, max: Number.MAX_SAFE_INTEGER }),
    stop: parseStop(body.stop),
    constraint: parseResponseFormat(body),
    // Beam search, HF generate's names as extra body fields (vLLM takes extra sampling fields too).
    numBeams: optionalNumber(body, 'num_beams', { integer: true, min: 1, max: B.beams }) ?? 0,
    ...optionalField(
      'lengthPenalty',
      optionalNumber(body, 'length_penalty', { min: -B.lengthPenalty, max: B.lengthPenalty }),
    ),
    earlyStopping: optionalBoolean(body, 'early_stopping') ?? false,
    // Choices for one prompt; the llm tier prefills it once (prefix cache).
    n: optionalNumber(body, 'n', { integer: true, min: 1, max: B.choices }) ?? 0,
    ...parseLogprobPenaltyFields(body),
  });
}

/** `{ [key]: value }` when the value is set, else nothing (absent stays absent, not undefined). */
function optionalField<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

function parseStop(stop: unknown): string[] {
  if (isAbsent(stop)) return [];
  const list = typeof stop === 'string' ? [stop] : stop;
  if (!Array.isArray(list) || !list.every((s) => typeof s === 'string' && s !== '')) {
    throw new InvalidRequestError("'stop' must be a non-empty string or an array of them", 'stop');
  }
  return list as string[];
}

function parseMessages(messages: unknown, maxTiles: number): RequestMessage[] {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new InvalidRequestError("'messages' must be a non-empty array", 'messages');
  }
  const parsed = messages.map((message, i) => parseMessage(message, `messages[${i}]`, maxTiles));
  if (parsed[parsed.length - 1].role !== Role.ROLE_USER) {
    throw new InvalidRequestError("The last message must have role 'user'", 'messages');
  }
  return parsed;
}

function parseMessage(message: unknown, param: string, maxTiles: number): RequestMessage {
  if (!isObject(message)) throw new InvalidRequestError(`'${param}' must be an object`, param);
  const roleName = message.role;
  const role = typeof roleName === 'string' && Object.hasOwn(ROLES, roleName) ? ROLES[roleName] : undefined;
  if (role === undefined) {
    throw new InvalidRequestError(
      `'${param}.role' must be 'system', 'user' or 'assistant', got ${JSON.stringify(roleName)}`,
      `${param}.role`,
    );
  }
  const content = message.content;
  if (typeof content === 'string') return { role, parts: [{ type: 'text', text: content }] };
  if (!Array.isArray(content)) {
    throw new InvalidRequestError(
      `'${param}.content' must be a string or an array of content parts`,
      `${param}.content`,
    );
  }
  const parts = content.map((part, j) => parsePart(part, `${param}.content[${j}]`, maxTiles));
  if (role !== Role.ROLE_USER && parts.some((p) => p.type === 'image')) {
    throw new InvalidRequestError(`Images are only allowed in 'user' messages`, `${param}.content`);
  }
  return { role, parts };
}

function parsePart(part: unknown, param: string, maxTiles: number): RequestPart {
  if (!isObject(part)) throw new InvalidRequestError(`'${param}' must be an object`, param);
  if (part.type === 'text') {
    if (typeof part.text !== 'string') {
      throw new InvalidRequestError(`'${param}.text' must be a string`, `${param}.text`);
    }
    return { type: 'text', text: part.text };
  }
  if (part.type === 'image_url') return parseImagePart(part, param, maxTiles);
  throw new InvalidRequestError(
    `'${param}.type' must be 'text' or 'image_url', got ${JSON.stringify(part.type)}`,
    `${param}.type`,
  );
}

function parseImagePart(part: JsonObject, param: string, maxTiles: number): RequestPart {
  // Some clients send the URL string directly instead of {url}.
  const image = typeof part.image_url === 'string' ? { url: part.image_url } : part.image_url;
  if (!isObject(image) || typeof image.url !== 'string' || image.url === '') {
    throw new InvalidRequestError(
      `'${param}.image_url.url' must be a data: URL (or an http(s) URL to an allowed host)`,
      `${param}.image_url.url`,
    );
  }
  const detail = image.detail;
  if (!isAbsent(detail) && detail !== 'auto' && detail !== 'low' && detail !== 'high') {
    throw new InvalidRequestError(
      `'${param}.image_url.detail' must be 'auto', 'low' or 'high'`,
      `${param}.image_url.detail`,
    );
  }
  // Non-standard: the image's own max_num (the playground sends one per image) wins over the
  // request's max_num and over detail.
  const field = `${param}.image_url.max_num`;
  const ownMaxTiles = optionalNumber({ [field]: image.max_num }, field, {
    integer: true,
    min: 1,
    max: MAX_TILES_LIMIT,
  });
  // 'low' = one 448px tile (the whole image downscaled), InternVL's cheapest view of an image.
  return {
    type: 'image',
    url: image.url,
    maxTiles: ownMaxTiles ?? (detail === 'low' ? 1 : maxTiles),
    param: `${param}.image_url.url`,
  };
}
