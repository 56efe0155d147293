/**
 * The "ID card" example of JSON mode: a strict JSON Schema the answer must follow (structured
 * output through `response_format: {type: "json_schema"}`).
 */
export const ID_CARD_SCHEMA = {
  title: 'id_card',
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 16 },
    document: { enum: ['id_card', 'passport', 'driving_licence'] },
    id_number: { type: 'string', pattern: '^[A-Z]{2}[0-9]{6}$' },
    birth_year: { type: 'integer', minimum: 1900, maximum: 2025 },
    height_m: { type: 'number', minimum: 0.5, maximum: 2.5 },
    nationality: { type: 'string', minLength: 2, maxLength: 3 },
  },
  required: ['name', 'document', 'id_number', 'birth_year', 'height_m', 'nationality'],
  additionalProperties: false,
};

export const ID_CARD_PROMPT = 'Read the ID card in the image and answer in JSON.';
