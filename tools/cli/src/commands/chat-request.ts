import { readFileSync } from 'node:fs';
import {
  GenerationParams,
  ImageLayout,
  Role,
  TilingOptions,
  type ChatMessage,
  type ContentPart,
  type StreamChatRequest,
} from '@internvl/contracts';
import { ConfigError } from '@internvl/service-kit';
import type { HistoryRole } from './chat-history';

/** One message to send, with its images as readable paths. */
export interface ChatRound {
  role: HistoryRole;
  text: string;
  images: readonly { path: string; maxNum: number }[];
}

export interface SamplingOptions {
  maxNewTokens: number;
  temperature: number;
  topP: number;
  /** undefined = random. */
  seed: number | undefined;
  stop: readonly string[];
  /** A JSON Schema (text) the answer must match. */
  jsonSchema?: string;
  /** Beam search instead of sampling. */
  beams?: { numBeams: number; lengthPenalty: number; earlyStopping: boolean };
}

const ROLES: Record<HistoryRole, Role> = {
  system: Role.ROLE_SYSTEM,
  user: Role.ROLE_USER,
  assistant: Role.ROLE_ASSISTANT,
};

/** The text of a --json-schema file, checked to be a JSON object (the llm tier compiles it). */
export function readJsonSchema(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read the JSON schema ${path}: ${(err as Error).message}`);
  }
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${path} is not JSON: ${(err as Error).message}`);
  }
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new ConfigError(`${path} must hold a JSON Schema object`);
  }
  return text;
}

function readImage(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`cannot read image ${path}: ${(err as Error).message}`);
  }
}

/** Images first, then the text, as the model card's chat() puts the image block before the question. */
function toChatMessage(round: ChatRound): ChatMessage {
  const content: ContentPart[] = round.images.map(({ path, maxNum }) => ({
    part: {
      $case: 'image',
      value: { data: readImage(path), tiling: TilingOptions.fromPartial({ maxTiles: maxNum }) },
    },
  }));
  if (round.text !== '' || content.length === 0) content.push({ part: { $case: 'text', value: round.text } });
  return { role: ROLES[round.role], content };
}

export function buildStreamChatRequest(
  rounds: readonly ChatRound[],
  sampling: SamplingOptions,
  returnPrompt: boolean,
): StreamChatRequest {
  return {
    input: {
      messages: rounds.map(toChatMessage),
      params: GenerationParams.fromPartial({
        maxNewTokens: sampling.maxNewTokens,
        temperature: sampling.temperature,
        topP: sampling.topP,
        seed: sampling.seed,
        stop: [...sampling.stop],
        constraint:
          sampling.jsonSchema === undefined ? undefined : { $case: 'jsonSchema', value: sampling.jsonSchema },
        ...(sampling.beams && {
          numBeams: sampling.beams.numBeams,
          lengthPenalty: sampling.beams.lengthPenalty,
          earlyStopping: sampling.beams.earlyStopping,
        }),
      }),
      imageLayout: ImageLayout.IMAGE_LAYOUT_UNSPECIFIED,
    },
    returnPrompt,
  };
}
