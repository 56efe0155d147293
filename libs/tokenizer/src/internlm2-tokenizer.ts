import { INTERNVL_ADDED_TOKENS } from './internvl-tokens';
import { llama2TokenizerJson, llama2Vocab } from './llama-vocab';
import { tokenizerFiles, type TokenizerFiles } from './tokenizer-files';
import {
  addedToken,
  serializeTokenizerJson,
  type AddedTokenJson,
  type TokenizerJson,
} from './tokenizer-json';

/** InternLM2's own special tokens at their real ids (its tokenizer_config.json added_tokens_decoder). */
const INTERNLM2_TOKENS: readonly [id: number, content: string][] = [
  [92538, '<|plugin|>'],
  [92539, '<|interpreter|>'],
  [92540, '<|action_end|>'],
  [92541, '<|action_start|>'],
  [92542, '<|im_end|>'],
  [92543, '<|im_start|>'],
];

/** InternLM2's vocab_size in InternVL's config: 92544 + 9 InternVL tokens. */
export const INTERNLM2_INTERNVL_VOCAB_SIZE = 92553;

const FIRST_SPECIAL = 92538;
const SP_VOCAB_SIZE = 92544;

/** Added tokens of Mini-InternVL-Chat-2B-V1-5's tokenizer at their real ids. */
export function internlm2AddedTokens(): AddedTokenJson[] {
  return [
    addedToken(0, '<unk>', { special: true }),
    addedToken(1, '<s>', { special: true }),
    addedToken(2, '</s>', { special: true }),
    ...INTERNLM2_TOKENS.map(([id, content]) => addedToken(id, content, { special: true })),
    ...INTERNVL_ADDED_TOKENS.map((content, i) => addedToken(SP_VOCAB_SIZE + i, content, { special: true })),
  ];
}

function internlm2Tokenizer(): TokenizerJson {
  // InternLM2's real 92544-piece vocabulary is not available offline; ids past Llama-2's are
  // unreachable fillers (no merge produces them) so every special token keeps its real id.
  const extra: string[] = [];
  for (let id = llama2Vocab().pieces.length; id < FIRST_SPECIAL; id++) extra.push(`<unused${id}>`);
  for (const [, content] of INTERNLM2_TOKENS) extra.push(content);
  return llama2TokenizerJson(internlm2AddedTokens(), extra);
}

/**
 * A stand-in for InternLM2's tokenizer (text of a tokenizer.json): Llama-2 pieces at 0..31999,
 * unreachable fillers up to 92537, InternLM2's special tokens at 92538..92543 and InternVL's at
 * 92544..92552; bos `<s>`=1, eos `</s>`=2. Special-token ids are real, ordinary text ids are not.
 */
export function buildInternLM2TokenizerJson(): string {
  return serializeTokenizerJson(internlm2Tokenizer());
}

/** tokenizer.json plus tokenizer_config.json, special_tokens_map.json and added_tokens.json. */
export function buildInternLM2TokenizerFiles(): TokenizerFiles {
  return tokenizerFiles({
    tokenizer: internlm2Tokenizer(),
    baseVocabSize: SP_VOCAB_SIZE,
    bosToken: '<s>',
    eosToken: '</s>',
    unkToken: '<unk>',
    padToken: '</s>',
    tokenizerClass: 'InternLM2Tokenizer',
    // The real file says 1e30 (transformers' "no limit"), which JSON from JS cannot spell exactly.
    modelMaxLength: 32768,
    extraConfig: {
      additional_special_tokens: INTERNLM2_TOKENS.map(([, c]) => c).reverse(),
      auto_map: {
        AutoTokenizer: [
          'tokenization_internlm2.InternLM2Tokenizer',
          'tokenization_internlm2_fast.InternLM2TokenizerFast',
        ],
      },
      chat_template:
        "{{ bos_token }}{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
      decode_with_prefix_space: false,
      sp_model_kwargs: null,
    },
  });
}
