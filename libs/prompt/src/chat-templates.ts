/**
 * InternVL 1.5 conversation templates (MPT style): system_template + sep, then role + message + sep
 * per turn; the open turn ends with the bare assistant role. No newline after sep.
 */
export interface ChatTemplate {
  name: string;
  /** Rendered with {system_message} substituted. */
  systemTemplate: string;
  /** The 1.5-era default system message. */
  systemMessage: string;
  roles: { user: string; assistant: string };
  sep: string;
  /** Token strings that end generation besides the model's eos. */
  stopStrings: string[];
}

export const TEMPLATES: Record<string, ChatTemplate> = {
  'phi3-chat': {
    name: 'phi3-chat',
    systemTemplate: '<|system|>\n{system_message}',
    systemMessage: 'You are an AI assistant whose name is Phi-3.',
    roles: { user: '<|user|>\n', assistant: '<|assistant|>\n' },
    sep: '<|end|>',
    stopStrings: ['</s>', '<|endoftext|>', '<|end|>'],
  },
  'internlm2-chat': {
    name: 'internlm2-chat',
    systemTemplate: '<|im_start|>system\n{system_message}',
    systemMessage: 'You are an AI assistant whose name is InternLM (书生·浦语).',
    roles: { user: '<|im_start|>user\n', assistant: '<|im_start|>assistant\n' },
    sep: '<|im_end|>',
    stopStrings: ['</s>', '<|im_start|>', '<|im_end|>'],
  },
};
