/** The `usage` object of a chat completion (the final chunk with stream_options.include_usage). */
export interface ApiUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number; image_tokens?: number } | null;
}

/** Client-side timestamps of one answer (performance.now() milliseconds). */
export interface AnswerTiming {
  sentAt: number;
  firstTokenAt?: number;
  endedAt: number;
}

export interface AnswerStats {
  /** Request sent to first text received. */
  ttftMs?: number;
  /** Generated tokens per second after the first one (decode speed as the client sees it). */
  tokensPerSecond?: number;
  promptTokens?: number;
  imageTokens?: number;
  cachedTokens?: number;
  completionTokens?: number;
}

/** The numbers shown under an answer; usage is absent when the answer was stopped or failed. */
export function answerStats(timing: AnswerTiming, usage?: ApiUsage): AnswerStats {
  const stats: AnswerStats = {};
  if (timing.firstTokenAt !== undefined) stats.ttftMs = timing.firstTokenAt - timing.sentAt;
  if (!usage) return stats;
  stats.promptTokens = usage.prompt_tokens;
  stats.completionTokens = usage.completion_tokens;
  stats.cachedTokens = usage.prompt_tokens_details?.cached_tokens;
  stats.imageTokens = usage.prompt_tokens_details?.image_tokens;
  const n = usage.completion_tokens ?? 0;
  if (timing.firstTokenAt !== undefined && n > 1) {
    const seconds = (timing.endedAt - timing.firstTokenAt) / 1000;
    if (seconds > 0) stats.tokensPerSecond = (n - 1) / seconds;
  }
  return stats;
}

/** Label, value and key of each stat that is known, in display order. */
export function statEntries(stats: AnswerStats): { key: string; label: string; value: string }[] {
  const entries: { key: string; label: string; value: string }[] = [];
  const add = (key: string, label: string, value: number | undefined, format: (v: number) => string) => {
    if (value !== undefined && Number.isFinite(value)) entries.push({ key, label, value: format(value) });
  };
  const int = (v: number) => String(Math.round(v));
  add('ttft_ms', 'Time to first token', stats.ttftMs, (v) => `${Math.round(v)} ms`);
  add('tokens_per_second', 'Tokens/s', stats.tokensPerSecond, (v) => v.toFixed(1));
  add('prompt_tokens', 'Prompt tokens', stats.promptTokens, int);
  add('image_tokens', 'Image tokens', stats.imageTokens, int);
  add('cached_tokens', 'Cached tokens', stats.cachedTokens, int);
  add('completion_tokens', 'Completion tokens', stats.completionTokens, int);
  return entries;
}
