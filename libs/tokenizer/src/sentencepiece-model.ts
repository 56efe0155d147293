// Hand-written wire codec for the parts of SentencePiece's ModelProto a BPE conversion needs.
// Field numbers follow
// https://github.com/google/sentencepiece/blob/master/src/sentencepiece_model.proto (proto2).
import { InvalidArgumentError } from '@internvl/errors';
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

/** ModelProto.SentencePiece.Type. */
export const PieceType = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;
export type PieceType = (typeof PieceType)[keyof typeof PieceType];

/** TrainerSpec.ModelType. */
export const SentencePieceModelType = { UNIGRAM: 1, BPE: 2, WORD: 3, CHAR: 4 } as const;

/** One vocabulary entry; its id is its index in {@link SentencePieceModel.pieces}. */
export interface SentencePiece {
  piece: string;
  score: number;
  type: PieceType;
}

/** The decoded model: pieces plus the trainer and normalizer settings a conversion reads. */
export interface SentencePieceModel {
  pieces: SentencePiece[];
  /** TrainerSpec.model_type (1 unigram, 2 BPE, 3 word, 4 char); proto default 1. */
  modelType: number;
  /** TrainerSpec.unk_piece (default `<unk>`). */
  unkPiece: string;
  /** TrainerSpec.byte_fallback (default false). */
  byteFallback: boolean;
  /** NormalizerSpec.name (e.g. 'identity', 'nmt_nfkc'). */
  normalizerName: string;
  /** NormalizerSpec.add_dummy_prefix (default true): a `▁` is prepended to the input. */
  addDummyPrefix: boolean;
  /** NormalizerSpec.remove_extra_whitespaces (default true). */
  removeExtraWhitespaces: boolean;
  /** NormalizerSpec.precompiled_charsmap is non-empty (a Unicode normalization is baked in). */
  hasPrecompiledCharsmap: boolean;
}

const F = {
  model: { pieces: 1, trainerSpec: 2, normalizerSpec: 3 },
  piece: { piece: 1, score: 2, type: 3 },
  trainer: { modelType: 3, byteFallback: 35, unkPiece: 45 },
  normalizer: { name: 1, precompiledCharsmap: 2, addDummyPrefix: 3, removeExtraWhitespaces: 4 },
} as const;

function expectWire(actual: WireType, expected: WireType, what: string): void {
  if (actual !== expected) throw new Error(`${what} has wire type ${actual}, expected ${expected}`);
}

function readPiece(bytes: Uint8Array): SentencePiece {
  const r = new BinaryReader(bytes);
  const out: SentencePiece = { piece: '', score: 0, type: PieceType.NORMAL };
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field === F.piece.piece) {
      expectWire(wire, WireType.LengthDelimited, 'SentencePiece.piece');
      out.piece = r.string();
    } else if (field === F.piece.score) {
      expectWire(wire, WireType.Bit32, 'SentencePiece.score');
      out.score = r.float();
    } else if (field === F.piece.type) {
      expectWire(wire, WireType.Varint, 'SentencePiece.type');
      out.type = r.int32() as PieceType;
    } else r.skip(wire, field);
  }
  return out;
}

function readTrainer(bytes: Uint8Array, model: SentencePieceModel): void {
  const r = new BinaryReader(bytes);
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field === F.trainer.modelType && wire === WireType.Varint) model.modelType = r.int32();
    else if (field === F.trainer.byteFallback && wire === WireType.Varint) model.byteFallback = r.bool();
    else if (field === F.trainer.unkPiece && wire === WireType.LengthDelimited) model.unkPiece = r.string();
    else r.skip(wire, field);
  }
}

function readNormalizer(bytes: Uint8Array, model: SentencePieceModel): void {
  const r = new BinaryReader(bytes);
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field === F.normalizer.name && wire === WireType.LengthDelimited) model.normalizerName = r.string();
    else if (field === F.normalizer.precompiledCharsmap && wire === WireType.LengthDelimited) {
      model.hasPrecompiledCharsmap = r.bytes().length > 0;
    } else if (field === F.normalizer.addDummyPrefix && wire === WireType.Varint)
      model.addDummyPrefix = r.bool();
    else if (field === F.normalizer.removeExtraWhitespaces && wire === WireType.Varint) {
      model.removeExtraWhitespaces = r.bool();
    } else r.skip(wire, field);
  }
}

/**
 * Decodes a SentencePiece `tokenizer.model` (ModelProto). Unknown fields are skipped; a buffer
 * that is not a ModelProto fails with an error saying so.
 */
export function parseSentencePieceModel(bytes: Uint8Array): SentencePieceModel {
  const model: SentencePieceModel = {
    pieces: [],
    modelType: SentencePieceModelType.UNIGRAM,
    unkPiece: '<unk>',
    byteFallback: false,
    normalizerName: '',
    addDummyPrefix: true,
    removeExtraWhitespaces: true,
    hasPrecompiledCharsmap: false,
  };
  try {
    const r = new BinaryReader(bytes);
    while (r.pos < r.len) {
      const [field, wire] = r.tag();
      if (field === F.model.pieces) {
        expectWire(wire, WireType.LengthDelimited, 'ModelProto.pieces');
        model.pieces.push(readPiece(r.bytes()));
      } else if (field === F.model.trainerSpec && wire === WireType.LengthDelimited)
        readTrainer(r.bytes(), model);
      else if (field === F.model.normalizerSpec && wire === WireType.LengthDelimited)
        readNormalizer(r.bytes(), model);
      else r.skip(wire, field);
    }
  } catch (err) {
    throw new InvalidArgumentError(
      `tokenizer.model is not a readable SentencePiece ModelProto (${(err as Error).message}); ` +
        'pass the checkpoint’s tokenizer.model file unchanged',
      { cause: err },
    );
  }
  if (model.pieces.length === 0) {
    throw new InvalidArgumentError('tokenizer.model has no pieces; is it a SentencePiece model file?');
  }
  return model;
}

/** What {@link encodeSentencePieceModel} writes; omitted settings keep SentencePiece's defaults. */
export interface SentencePieceModelInput {
  pieces: readonly SentencePiece[];
  modelType?: number;
  unkPiece?: string;
  byteFallback?: boolean;
  normalizerName?: string;
  addDummyPrefix?: boolean;
  removeExtraWhitespaces?: boolean;
}

/**
 * Encodes a ModelProto, e.g. to build small `tokenizer.model` fixtures for tests of the
 * conversion path (the inverse of {@link parseSentencePieceModel} for the fields it reads).
 */
export function encodeSentencePieceModel(input: SentencePieceModelInput): Uint8Array {
  const w = new BinaryWriter();
  for (const p of input.pieces) {
    w.tag(F.model.pieces, WireType.LengthDelimited).fork();
    w.tag(F.piece.piece, WireType.LengthDelimited).string(p.piece);
    w.tag(F.piece.score, WireType.Bit32).float(p.score);
    w.tag(F.piece.type, WireType.Varint).int32(p.type);
    w.join();
  }
  w.tag(F.model.trainerSpec, WireType.LengthDelimited).fork();
  w.tag(F.trainer.modelType, WireType.Varint).int32(input.modelType ?? SentencePieceModelType.BPE);
  if (input.byteFallback !== undefined)
    w.tag(F.trainer.byteFallback, WireType.Varint).bool(input.byteFallback);
  if (input.unkPiece !== undefined)
    w.tag(F.trainer.unkPiece, WireType.LengthDelimited).string(input.unkPiece);
  w.join();
  w.tag(F.model.normalizerSpec, WireType.LengthDelimited).fork();
  w.tag(F.normalizer.name, WireType.LengthDelimited).string(input.normalizerName ?? 'identity');
  if (input.addDummyPrefix !== undefined) {
    w.tag(F.normalizer.addDummyPrefix, WireType.Varint).bool(input.addDummyPrefix);
  }
  if (input.removeExtraWhitespaces !== undefined) {
    w.tag(F.normalizer.removeExtraWhitespaces, WireType.Varint).bool(input.removeExtraWhitespaces);
  }
  w.join();
  return w.finish();
}
