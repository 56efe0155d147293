import { I32, op, WasmFunction } from './wasm-encoder';

/**
 * `name(src, srcStride, width, height, lut, dst, planeBytes)`: converts an interleaved RGB
 * region to three planes through a per-channel lookup table of 3 x 256 i32 entries at `lut`
 * (channel c at `lut + c * 1024`). Writes `elemBytes` (4: whole entry, 2: its low 16 bits) per
 * value; plane c starts at `dst + c * planeBytes`, and rows follow each other without gaps.
 */
export function normalizeKernel(name: string, elemBytes: 2 | 4): WasmFunction {
  const f = new WasmFunction(name, [
    ['src', I32],
    ['srcStride', I32],
    ['width', I32],
    ['height', I32],
    ['lut', I32],
    ['dst', I32],
    ['planeBytes', I32],
  ]);
  f.locals(I32, 'plane2', 'p', 'x');
  const store = elemBytes === 4 ? op.i32Store : op.i32Store16;
  // Table entry of channel c for the byte at p + c.
  const entry = (c: number) => [
    f.get('lut'),
    f.get('p'),
    op.i32Load8U(c),
    op.i32Const(2),
    op.i32Shl(),
    op.i32Add(),
    op.i32Load(c * 1024),
  ];
  f.emit(f.get('planeBytes'), op.i32Const(2), op.i32Mul(), f.set('plane2'));
  f.emit(op.loop()); // rows
  f.emit(f.get('src'), f.set('p'), f.get('width'), f.set('x'));
  f.emit(op.loop()); // pixels
  f.emit(f.get('dst'), ...entry(0), store());
  f.emit(f.get('dst'), f.get('planeBytes'), op.i32Add(), ...entry(1), store());
  f.emit(f.get('dst'), f.get('plane2'), op.i32Add(), ...entry(2), store());
  f.addTo('p', 3).addTo('dst', elemBytes).addTo('x', -1);
  f.emit(f.get('x'), op.brIf(0), op.end());
  f.addTo('src', 'srcStride').addTo('height', -1);
  f.emit(f.get('height'), op.brIf(0), op.end());
  return f;
}
