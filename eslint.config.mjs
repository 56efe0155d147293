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
    // libs/ort is the one place that wraps onnxruntime-node; everything else imports @internvl/ort.
    // Keeps the app-import ban, drops only the onnxruntime-node one.
    files: ['libs/ort/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/apps/**', '@internvl/app-*'], message: 'Nothing imports an app.' }] },
      ],
    },
  },
  {
    // Entry points load modules lazily on purpose: telemetry must start before @grpc/grpc-js is
    // required (its instrumentation hooks `require`), and CLI commands load only what they use.
    files: [
      'apps/*/src/main.ts',
      'tools/cli/src/**/*.ts',
      'tools/bench/src/**/*.ts',
      'test/src/fixtures/**/*.ts',
      'libs/telemetry/src/**/*.ts',
    ],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
