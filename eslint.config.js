import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'results/**', 'node_modules/**', 'coverage/**', 'dashboards/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        TextDecoder: 'readonly',
        TextEncoder: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Only the CLI prints, reads argv or exits (STYLE.md: thin CLI over a library).
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'exit', message: 'Only src/cli/ may call process.exit.' },
        { object: 'process', property: 'argv', message: 'Only src/cli/ may read process.argv.' },
      ],
    },
  },
  {
    // core/ is bundled into k6 scripts: no Node API, and no npm package but zod (pure, runtime-free),
    // which only the platform facts, the profile schema and validate.ts use; k6 scenarios import none of them.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'src/core/ must not use Node APIs (it is bundled into k6 scripts).' },
            { regex: '^(?!zod$|\\.)', message: 'src/core/ may import only zod and its own files.' },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'Buffer', 'process', 'require'],
    },
  },
  {
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/report/**', '**/doctor/**', '**/diagnosis/**', '**/server/**', '**/platform/**', '**/cli/**'], message: 'engine/ never imports report/, doctor/, diagnosis/, server/, platform/ or cli/ (docs/architecture.md).' }] },
      ],
    },
  },
);
