/** An image of a user turn, as sent: a data: URL and its own tile budget. */
export interface SentImage {
  dataUrl: string;
  /** Tiles per image (InternVL's max_num), sent as the non-standard `image_url.max_num`. */
  maxTiles: number;
}

/** One turn of the conversation. An assistant turn holds the text as it arrived (even if stopped). */
export interface ConversationTurn {
  role: 'user' | 'assistant';
  text: string;
  images?: readonly SentImage[];
}

/** The form's sampling and output settings; blank fields are left to the server's defaults. */
export interface SamplingSettings {
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  seed?: number;
  /** JSON mode: `response_format` json_schema (with a schema) or json_object (without). */
  json?: { schema?: Record<string, unknown> };
}

type ContentPart =
  { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string; max_num: number } };

/** The body of POST /v1/chat/completions for the whole conversation, streamed with usage. */
export function buildChatRequest(
  model: string,
  turns: readonly ConversationTurn[],
  settings: SamplingSettings,
): Record<string, unknown> {
  const messages = turns
    // A stopped answer that produced nothing says nothing; an empty assistant turn is dropped.
    .filter((t) => t.role === 'user' || t.text !== '')
    .map((t) => {
      if (t.role === 'assistant' || !t.images || t.images.length === 0) {
        return { role: t.role, content: t.text };
      }
      const content: ContentPart[] = t.images.map((image) => ({
        type: 'image_url',
        image_url: { url: image.dataUrl, max_num: image.maxTiles },
      }));
      content.push({ type: 'text', text: t.text });
      return { role: t.role, content };
    });
  const body: Record<string, unknown> = {
    model,
    messages,
    stream: true,
    stream_options: { include_usage: true },
  };
  if (settings.temperature !== undefined) body.temperature = settings.temperature;
  if (settings.topP !== undefined) body.top_p = settings.topP;
  if (settings.maxTokens !== undefined) body.max_tokens = settings.maxTokens;
  if (settings.seed !== undefined) body.seed = settings.seed;
  if (settings.json) {
    const schema = settings.json.schema;
    body.response_format = schema
      ? { type: 'json_schema', json_schema: { name: schemaName(schema), schema, strict: true } }
      : { type: 'json_object' };
  }
  return body;
}

/** OpenAI's json_schema name (letters, digits, _ and -, at most 64): the schema's title, if usable. */
export function schemaName(schema: Record<string, unknown>): string {
  const title = typeof schema.title === 'string' ? schema.title.replace(/[^\w-]/g, '_').slice(0, 64) : '';
  return title || 'answer';
}

/**
 * Reads the schema editor: blank = no schema (json_object); otherwise it must be a JSON object.
 * Returns the schema or a message saying what is wrong.
 */
export function parseSchemaText(
  text: string,
): { schema: Record<string, unknown> | undefined } | { error: string } {
  if (text.trim() === '') return { schema: undefined };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { error: `The schema is not valid JSON: ${(err as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { error: 'The schema must be a JSON object, e.g. {"type": "object", "properties": {…}}' };
  }
  return { schema: value as Record<string, unknown> };
}

/**
 * A number field's value: undefined when blank; otherwise a finite number within [min, max]
 * (an integer when `integer`), or an error message naming the field.
 */
export function readNumberField(
  label: string,
  text: string,
  bounds: { min: number; max: number; integer?: boolean },
): { value: number | undefined } | { error: string } {
  const trimmed = text.trim();
  if (trimmed === '') return { value: undefined };
  const value = Number(trimmed);
  if (!Number.isFinite(value)) return { error: `${label} must be a number` };
  if (bounds.integer && !Number.isInteger(value)) return { error: `${label} must be a whole number` };
  if (value < bounds.min || value > bounds.max) {
    return { error: `${label} must be between ${bounds.min} and ${bounds.max}` };
  }
  return { value };
}
