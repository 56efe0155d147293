import assert from 'node:assert/strict';
import { test } from 'node:test';
import { measureGemmPeak } from './gemm-peak';

test('measureGemmPeak reports a positive GFLOP/s for a one-MatMul graph', async () => {
  const gflops = await measureGemmPeak({ m: 65, k: 64, n: 128, threads: 1, iterations: 2 });
  assert.ok(Number.isFinite(gflops) && gflops > 0, `got ${gflops}`);
});
