import { strict as assert } from 'node:assert';
import { after, before } from 'node:test';
import type { ChatServiceClient } from '@internvl/contracts';
import OpenAI from 'openai';
import { chatClient } from './chat-calls';
import { startStack, type Stack, type StackOptions } from './stack';
import { buildTinyModel } from './tiny-model';

/** The official OpenAI client on a stack's HTTP API, without retries (every failure shows). */
export function openaiClient(stack: Pick<Stack, 'httpBase'>): OpenAI {
  return new OpenAI({ baseURL: `${stack.httpBase}/v1`, apiKey: 'unused', maxRetries: 0 });
}

/** A suite's stack on the tiny model, with a client for each of the gateway's APIs. */
export interface SuiteStack {
  stack: Stack;
  openai: OpenAI;
  grpc: ChatServiceClient;
}

/**
 * The usual setup of a suite against the whole stack: a `before` hook that starts it on the tiny
 * model, and an `after` hook that closes the clients and stops it, both registered in the calling
 * suite (or file). What it returns reads through to those once `before` has run.
 */
export function tinyStackForSuite(options: StackOptions = {}): SuiteStack {
  let started: SuiteStack | undefined;
  before(async () => {
    const stack = await startStack(await buildTinyModel(), options);
    started = { stack, openai: openaiClient(stack), grpc: chatClient(stack.gatewayAddress) };
  });
  after(async () => {
    started?.grpc.close();
    await started?.stack.stop();
  });
  const current = () => started ?? assert.fail('the stack is used before its suite started');
  return {
    stack: readThrough(() => current().stack),
    openai: readThrough(() => current().openai),
    grpc: readThrough(() => current().grpc),
  };
}

/** A stand-in for `current()`'s object, for code that holds it before it exists; methods are bound. */
function readThrough<T extends object>(current: () => T): T {
  return new Proxy({} as T, {
    get: (_, key) => {
      const target = current();
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
