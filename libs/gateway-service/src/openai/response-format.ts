import type { GenerationParams } from '@internvl/contracts';
import { InvalidRequestError } from './openai-errors';
import { isAbsent, isObject, type JsonObject } from './request-fields';

type Constraint = GenerationParams['constraint'];

/**
 * Structured output from an OpenAI request: `response_format` `{type: 'text'}` (none),
 * `{type: 'json_object'}`, `{type: 'json_schema', json_schema: {name, schema, strict?,
 * description?}}`, or vLLM's extra fields `guided_regex` / `guided_grammar` (EBNF). At most one.
 * The schema itself is compiled, and refused with the reason, by the llm tier.
 */
export function parseResponseFormat(body: JsonObject): Constraint {
  const found: Constraint[] = [];
  const format = body.response_format;
  if (!isAbsent(format)) {
    if (!isObject(format))
      throw new InvalidRequestError("'response_format' must be an object", 'response_format');
    found.push(fromResponseFormat(format));
  }
  for (const [key, $case] of [
    ['guided_regex', 'regex'],
    ['guided_grammar', 'ebnf'],
  ] as const) {
    const value = body[key];
    if (isAbsent(value)) continue;
    if (typeof value !== 'string' || value.trim() === '') {
      throw new InvalidRequestError(`'${key}' must be a non-empty string`, key);
    }
    found.push({ $case, value });
  }
  const set = found.filter((c) => c !== undefined);
  if (set.length > 1) {
    throw new InvalidRequestError(
      "Send one of 'response_format' (json_object or json_schema), 'guided_regex' and 'guided_grammar'",
      'response_format',
    );
  }
  return set[0];
}

function fromResponseFormat(format: JsonObject): Constraint {
  switch (format.type) {
    case 'text':
      return undefined;
    case 'json_object':
      return { $case: 'jsonObject', value: true };
    case 'json_schema': {
      const spec = format.json_schema;
      const at = 'response_format.json_schema';
      if (!isObject(spec))
        throw new InvalidRequestError(`'${at}' must be an object with 'name' and 'schema'`, at);
      if (typeof spec.name !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(spec.name)) {
        throw new InvalidRequestError(
          `'${at}.name' must be 1 to 64 letters, digits, '_' or '-'`,
          `${at}.name`,
        );
      }
      if (!isObject(spec.schema)) {
        throw new InvalidRequestError(`'${at}.schema' must be a JSON Schema object`, `${at}.schema`);
      }
      if (!isAbsent(spec.strict) && typeof spec.strict !== 'boolean') {
        throw new InvalidRequestError(`'${at}.strict' must be a boolean`, `${at}.strict`);
      }
      return { $case: 'jsonSchema', value: JSON.stringify(spec.schema) };
    }
    default:
      throw new InvalidRequestError(
        `'response_format.type' must be 'text', 'json_object' or 'json_schema', got ${JSON.stringify(format.type)}`,
        'response_format.type',
      );
  }
}
