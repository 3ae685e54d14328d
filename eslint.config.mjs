// ESLint flat config: typescript-eslint type-checked rules (STYLE R46).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/.tsc/**',
      '.cache/**',
      '.turbo/**',
      'libs/db/src/generated/**',
      'coverage/**',
      'bench-results/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked.map((c) => ({ ...c, files: ['**/*.ts'] })),
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['prisma.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'separate-type-imports' },
      ],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      // Fastify plugins and kafkajs handlers are async by contract, awaited or not.
      '@typescript-eslint/require-await': 'off',
      // Disagrees with tsc -b across project references (it sees some declaration types
      // differently) and its autofix removed casts tsc needs; tsc is the authority on types.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // kafkajs hands out closures (heartbeat, resolveOffset) that are safe to destructure.
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // Only the owning lib imports a vendor or infrastructure client (STYLE R8).
    files: [
      'services/**/*.ts',
      'libs/{config,errors,crypto,contracts,observability,runtime,testkit}/**/*.ts',
    ],
    // A package's own src/testing/ is test support (STYLE R6): it may use other ./testing exports.
    ignores: ['**/*.spec.ts', '**/src/testing/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: '@prisma/client', message: 'Only libs/db imports Prisma (STYLE R8).' },
            { name: 'stripe', message: 'Only libs/providers imports stripe (STYLE R8).' },
            { name: 'chargebee', message: 'Only libs/providers imports chargebee (STYLE R8).' },
          ],
          patterns: [
            {
              group: ['@paysync/*/testing'],
              message: 'Production code never imports ./testing (STYLE R6).',
            },
            {
              group: ['@paysync/*/src/*', '@paysync/*/src'],
              message: 'Import a package by its public entry (STYLE R4/R5).',
            },
            {
              group: ['**/services/**', '@paysync/{api,ingress,processor,sync-runner,recovery}'],
              message: 'Libs never import services; services never import each other (STYLE R1).',
            },
          ],
        },
      ],
    },
  },
  {
    // Tests use expect.any/objectContaining (typed any) and non-null assertions on found items.
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        fetch: 'readonly',
        setTimeout: 'readonly',
        URL: 'readonly',
      },
    },
  },
);
