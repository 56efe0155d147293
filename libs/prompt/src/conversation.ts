/** One message of a conversation. */
export interface ConversationTurn {
  role: 'user' | 'assistant';
  text: string;
}

/** One image of a conversation, already split into tiles (thumbnail included). */
export interface ConversationImage {
  numTiles: number;
}

/**
 * How images map to `<image>` placeholders.
 * - `concatenated`: InternVL-1.5 chat(): the tiles of all images form one `<img>` block at the single placeholder.
 * - `numbered`: the later `num_patches_list` API: the n-th placeholder gets the n-th image's own block.
 */
export type ImageLayout = 'concatenated' | 'numbered';

/** A conversation to render; the last turn is the user turn the model answers. */
export interface Conversation {
  /** Replaces the template's default system message when set. */
  systemMessage?: string;
  turns: ConversationTurn[];
  images: ConversationImage[];
  imageLayout: ImageLayout;
}
