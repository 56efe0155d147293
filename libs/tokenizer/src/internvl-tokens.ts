/**
 * InternVL's added tokens in the order its training code adds them, so their ids follow the
 * base vocabulary in this order (Phi-3: 32011..32019, InternLM2: 92544..92552).
 */
export const INTERNVL_ADDED_TOKENS = [
  '<img>',
  '</img>',
  '<IMG_CONTEXT>',
  '<quad>',
  '</quad>',
  '<ref>',
  '</ref>',
  '<box>',
  '</box>',
] as const;
