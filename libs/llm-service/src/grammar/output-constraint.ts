/** A structured-output constraint of one request (GenerationParams.constraint). */
export type OutputConstraint =
  | { kind: 'json_schema'; source: string }
  | { kind: 'json_object' }
  | { kind: 'regex'; source: string }
  | { kind: 'ebnf'; source: string };

/** A compiled constraint's per-sequence state: which tokens may come next, and accepting them. */
export interface TokenConstraint {
  /** The allowed next tokens as a bitmask (bit i of word i>>5). */
  nextMask(): Promise<Int32Array>;
  /** Advances past `token`; false if the grammar does not allow it. */
  accept(token: number): boolean;
  /** The grammar is complete (a stop token was accepted at its end). */
  isTerminated(): boolean;
  dispose(): void;
}

/** Makes the per-sequence state of a compiled constraint (one per choice). */
export type TokenConstraintFactory = () => Promise<TokenConstraint>;
