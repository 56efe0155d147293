import { Metadata } from '@grpc/grpc-js';
import type { LlmServiceClient } from '@internvl/contracts';
import type { Logger } from '@internvl/service-kit';
import type { Tier } from './tier';

/**
 * Asks the llm tier for its model name, waiting up to `waitMs` for it to come up (tiers start in
 * any order: wait-for-ready keeps reconnecting until the deadline). Undefined when it does not answer.
 */
export async function askLlmModelName(
  tier: Tier<LlmServiceClient>,
  waitMs: number,
  log: Logger,
): Promise<string | undefined> {
  if (waitMs <= 0) return undefined;
  try {
    const info = await new Promise<{ modelName: string }>((resolve, reject) =>
      tier.client.getLlmInfo(
        {},
        new Metadata({ waitForReady: true }),
        { deadline: Date.now() + waitMs },
        (err, response) => (err ? reject(err) : resolve(response)),
      ),
    );
    return info.modelName || undefined;
  } catch (err) {
    log.warn(
      { err: err instanceof Error ? err.message : err, llm: tier.address },
      'the llm tier did not tell its model name; the HTTP API uses the fallback name (set --model-name to choose it)',
    );
    return undefined;
  }
}
