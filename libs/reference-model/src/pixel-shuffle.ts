import { InvalidArgumentError } from '@internvl/errors';

/**
 * torch `x.permute(perm).contiguous()` on a contiguous row-major tensor.
 * (A torch `view`/`reshape` of contiguous data is a no-op on the buffer, so only permutes move data.)
 */
export function permute(x: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const rank = shape.length;
  if (perm.length !== rank) throw new InvalidArgumentError(`permute: ${perm.length} axes for rank ${rank}`);
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let a = rank - 1; a >= 0; a--) {
    inStrides[a] = s;
    s *= shape[a];
  }
  if (s !== x.length)
    throw new InvalidArgumentError(`permute: ${x.length} values for shape [${shape.join(', ')}]`);
  const outShape = perm.map((p) => shape[p]);
  // Output is walked in order; stride of output axis a in the input is inStrides[perm[a]].
  const strides = perm.map((p) => inStrides[p]);
  const out = new Float32Array(x.length);
  const index = new Array<number>(rank).fill(0);
  let src = 0;
  for (let dst = 0; dst < out.length; dst++) {
    out[dst] = x[src];
    for (let a = rank - 1; a >= 0; a--) {
      index[a]++;
      src += strides[a];
      if (index[a] < outShape[a]) break;
      src -= strides[a] * outShape[a];
      index[a] = 0;
    }
  }
  return out;
}

/**
 * InternVLChatModel.pixel_shuffle followed by the flatten to tokens, written as the literal
 * torch sequence (r = 1/scaleFactor, 2 for InternVL):
 * x [n, w, h, c] → view [n, w, h/r, c·r] → permute(0,2,1,3) → view [n, h/r, w/r, c·r²]
 * → v2 only: permute(0,2,1,3) → reshape [n, (w/r)·(h/r), c·r²].
 * Here w indexes grid rows and h grid columns (the ViT's token index is row·side + col).
 * v2 token i·(side/r)+j holds [x(2i,2j), x(2i,2j+1), x(2i+1,2j), x(2i+1,2j+1)] (r = 2);
 * v1 leaves the grid transposed: that same content lands at token j·(side/r)+i.
 * @param x [n, side, side, channels]
 * @returns [n, (side/r)², channels·r²]
 */
export function pixelShuffle(
  x: Float32Array,
  n: number,
  side: number,
  channels: number,
  scaleFactor: number,
  psVersion: 'v1' | 'v2',
): Float32Array {
  const r = Math.round(1 / scaleFactor);
  if (Math.abs(r * scaleFactor - 1) > 1e-9 || side % r !== 0) {
    throw new InvalidArgumentError(`pixel_shuffle: grid ${side} is not divisible by 1/${scaleFactor}`);
  }
  const w = side;
  const h = side;
  // view [n, w, h/r, c·r]: no data movement.
  let y = permute(x, [n, w, h / r, channels * r], [0, 2, 1, 3]);
  // y is [n, h/r, w, c·r]; view [n, h/r, w/r, c·r²]: no data movement.
  if (psVersion === 'v2') y = permute(y, [n, h / r, w / r, channels * r * r], [0, 2, 1, 3]);
  return y;
}
