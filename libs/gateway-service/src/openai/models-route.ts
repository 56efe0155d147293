import { sendJson } from './http-json';
import { modelNotFound } from './openai-errors';
import type { Route } from './openai-router';

/** GET /v1/models and GET /v1/models/{id}: the one model this gateway serves. */
export function modelRoutes(modelName: string, created: number): Route[] {
  const model = { id: modelName, object: 'model', created, owned_by: 'internvl' };
  return [
    {
      pattern: /^\/v1\/models$/,
      template: '/v1/models',
      methods: { GET: ({ res }) => sendJson(res, 200, { object: 'list', data: [model] }) },
    },
    {
      // Model ids may contain slashes (OpenGVLab/InternVL2-1B).
      pattern: /^\/v1\/models\/(?<id>.+)$/,
      template: '/v1/models/{model}',
      methods: {
        GET: ({ res, params }) => {
          const id = safeDecode(params.id);
          if (id !== modelName) throw modelNotFound(id, modelName);
          sendJson(res, 200, model);
        },
      },
    },
  ];
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
