import { FinishReason, type Finish, type PromptInfo, type TextDelta } from '@internvl/contracts';

/** Where the command writes; process.stdout/stderr in the CLI, collectors in tests. */
export interface Writer {
  write(chunk: string): unknown;
}

const REASONS: Record<number, string> = {
  [FinishReason.FINISH_REASON_STOP]: 'stop',
  [FinishReason.FINISH_REASON_LENGTH]: 'length',
  [FinishReason.FINISH_REASON_CANCELLED]: 'cancelled',
};

export function finishReasonName(reason: FinishReason): string {
  return REASONS[reason] ?? 'unspecified';
}

/** The --json form of a finish event: snake_case like the other lines. */
function finishJson(finish: Finish): Record<string, unknown> {
  const usage = finish.usage;
  const timings = finish.timings;
  return {
    type: 'finish',
    reason: finishReasonName(finish.reason),
    usage: {
      prompt_tokens: usage?.promptTokens ?? 0,
      image_tokens: usage?.imageTokens ?? 0,
      completion_tokens: usage?.completionTokens ?? 0,
      cached_tokens: usage?.cachedTokens ?? 0,
    },
    timings: {
      queue_ms: timings?.queueMs ?? 0,
      time_to_first_token_ms: timings?.timeToFirstTokenMs ?? 0,
      time_per_output_token_ms: timings?.timePerOutputTokenMs ?? 0,
      total_ms: timings?.totalMs ?? 0,
    },
  };
}

/**
 * Prints the events of one answer: plain text as it streams (the prompt, when asked for, on
 * stderr), or with `json` one JSON object per line per event.
 */
export class ChatPrinter {
  private openLine = false;

  constructor(
    private readonly stdout: Writer,
    private readonly stderr: Writer,
    private readonly json: boolean,
  ) {}

  prompt(prompt: PromptInfo): void {
    if (this.json) this.line({ type: 'prompt', text: prompt.text, input_ids: prompt.inputIds });
    else this.stderr.write(`${prompt.text}\n`);
  }

  delta(delta: TextDelta): void {
    if (this.json) {
      this.line({ type: 'delta', text: delta.text, token_ids: delta.tokenIds });
    } else if (delta.text !== '') {
      this.stdout.write(delta.text);
      this.openLine = !delta.text.endsWith('\n');
    }
  }

  finish(finish: Finish, maxNewTokens: number): void {
    if (this.json) {
      this.line(finishJson(finish));
      return;
    }
    this.endLine();
    if (finish.reason === FinishReason.FINISH_REASON_LENGTH)
      this.stderr.write(
        `chat: the answer was cut at ${finish.usage?.completionTokens ?? maxNewTokens} tokens ` +
          `(--max-new-tokens ${maxNewTokens}, or the model's context limit)\n`,
      );
  }

  /** Ends a partly printed answer with a newline (after an error or Ctrl-C). */
  endLine(): void {
    if (this.openLine) this.stdout.write('\n');
    this.openLine = false;
  }

  private line(event: Record<string, unknown>): void {
    this.stdout.write(`${JSON.stringify(event)}\n`);
  }
}
