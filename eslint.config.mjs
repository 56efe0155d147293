// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/gen/**', '.nx/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { disallowTypeAnnotations: false }],
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'onnxruntime-node', message: 'Only libs/ort may import onnxruntime-node.' }],
          patterns: [{ group: ['**/apps/**', '@internvl/app-*'], message: 'Nothing imports an app.' }],
        },
      ],
    },
  },
  {
    // Entry points load modules lazily on purpose: telemetry must start before @grpc/grpc-js is
    // required (its instrumentation hooks `require`), and CLI commands load only what they use.
    files: [
      'apps/*/src/main.ts',
      'tools/cli/src/**/*.ts',
      'test/src/fixtures/**/*.ts',
      'libs/telemetry/src/**/*.ts',
    ],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
