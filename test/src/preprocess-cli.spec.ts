import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { CLI, FIXTURES } from './support/paths';
import { runCli, startServer, type RunningProcess } from './support/processes';

const golden = (...p: string[]) => join(FIXTURES, 'golden', 'preprocess', ...p);
/** The raw float32 bytes of a .npy file (header skipped). */
function npyData(path: string): Buffer {
  const bytes = readFileSync(path);
  const headerLength = bytes.readUInt16LE(8);
  return bytes.subarray(10 + headerLength);
}

describe('internvl preprocess', () => {
  let server: RunningProcess;
  const out = mkdtempSync(join(tmpdir(), 'internvl-preprocess-'));
  before(async () => {
    server = await startServer(CLI, ['serve', 'preprocess', '--port', '0', '--workers', '1']);
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
  });

  for (const mode of ['--local', 'service'] as const) {
    test(`${mode}: writes the reference's fp32 tensor exactly and a readable .npy header`, async () => {
      const file = join(out, `image1-${mode}.npy`);
      const where = mode === '--local' ? ['--local'] : ['--addr', `127.0.0.1:${server.port}`];
      const { stdout } = await runCli([
        'preprocess',
        join(FIXTURES, 'images', 'image1.jpg'),
        '--max-num',
        '1',
        '--out',
        file,
        ...where,
      ]);
      assert.match(stdout, /grid 1x1, 1 tiles.*\[1, 3, 448, 448\] fp32/);
      const header = readFileSync(file)
        .subarray(10, 10 + readFileSync(file).readUInt16LE(8))
        .toString('latin1');
      assert.match(header, /'descr': '<f4', 'fortran_order': False, 'shape': \(1, 3, 448, 448\)/);
      assert.ok(
        npyData(file).equals(npyData(golden('image1_max1_tensor.npy'))),
        'tensor differs from the reference',
      );
    });
  }

  test('--tiles-dir writes the tiles as PNGs equal to the golden tiles (image2, max 6, via the service)', async () => {
    const tilesDir = join(out, 'tiles');
    const { stdout } = await runCli([
      'preprocess',
      join(FIXTURES, 'images', 'image2.jpg'),
      '--max-num',
      '6',
      '--dtype',
      'fp16',
      '--out',
      join(out, 'image2.npy'),
      '--tiles-dir',
      tilesDir,
      '--addr',
      `127.0.0.1:${server.port}`,
    ]);
    const meta = JSON.parse(readFileSync(golden('image2_max6', 'meta.json'), 'utf8')) as {
      num_tiles: number;
    };
    assert.match(stdout, new RegExp(`${meta.num_tiles} tiles \\(incl. thumbnail\\).*fp16`));
    for (let i = 0; i < meta.num_tiles; i++) {
      const name = `tile_${String(i).padStart(2, '0')}.png`;
      const [ours, theirs] = await Promise.all([
        sharp(join(tilesDir, name)).raw().toBuffer(),
        sharp(golden('image2_max6', name)).raw().toBuffer(),
      ]);
      assert.ok(ours.equals(theirs), `${name} differs`);
    }
  });

  test('a corrupt image fails with a clear message and exit code 1; no server gives a hint', async () => {
    const err = await runCli([
      'preprocess',
      join(FIXTURES, 'golden', 'preprocess', 'grids.json'),
      '--out',
      join(out, 'x.npy'),
      '--addr',
      `127.0.0.1:${server.port}`,
    ]).then(
      () => assert.fail('expected failure'),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(err.code, 1);
    assert.match(err.stderr, /unsupported image format/);
    const down = await runCli([
      'preprocess',
      join(FIXTURES, 'images', 'image1.jpg'),
      '--out',
      join(out, 'y.npy'),
      '--addr',
      '127.0.0.1:1',
    ]).then(
      () => assert.fail('expected failure'),
      (e: { stderr: string }) => e,
    );
    assert.match(down.stderr, /cannot reach the preprocess tier at 127.0.0.1:1.*--local/);
  });
});
