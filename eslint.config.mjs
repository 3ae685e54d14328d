// ESLint flat config: typescript-eslint type-checked rules (STYLE R46).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Test files and test support (a package's src/testing/, exported as ./testing: STYLE R6). */
const TEST_SUPPORT = ['**/*.spec.ts', '**/src/testing/**/*.ts'];

/** Vendor and infrastructure clients, each imported only by the lib that wraps it (STYLE R8). */
const CLIENTS = [
  { name: 'kafkajs', owner: 'libs/kafka', use: '@paysync/kafka' },
  { name: '@prisma/client', owner: 'libs/db', use: '@paysync/db' },
  { name: 'stripe', owner: 'libs/providers', use: '@paysync/providers' },
  { name: 'chargebee', owner: 'libs/providers', use: '@paysync/providers' },
];
const CLIENT_OWNERS = [...new Set(CLIENTS.map((c) => c.owner))];

/**
 * `no-restricted-imports` options for a file: the clients it does not own (tests included), the
 * Prisma generated client outside libs/db, and for production code the layering rules.
 */
function restrictedImports({ production, owner }) {
  const paths = CLIENTS.filter((c) => c.owner !== owner).map((c) => ({
    name: c.name,
    message: `Only ${c.owner} imports ${c.name}; use ${c.use} (STYLE R8).`,
  }));
  const patterns = [];
  if (owner !== 'libs/db') {
    patterns.push({
      group: ['@prisma/client/*', '**/generated/prisma/**'],
      message: 'Only libs/db imports the Prisma client (STYLE R8).',
    });
  }
  if (production) {
    patterns.push(
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
    );
  }
  return ['error', { paths, patterns }];
}

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
  // Import boundaries (STYLE R1, R4–R6, R8): see the helpers at the top of this file.
  {
    files: ['libs/**/*.ts', 'services/**/*.ts'],
    ignores: TEST_SUPPORT,
    rules: { 'no-restricted-imports': restrictedImports({ production: true }) },
  },
  ...CLIENT_OWNERS.map((owner) => ({
    files: [`${owner}/**/*.ts`],
    ignores: TEST_SUPPORT,
    rules: { 'no-restricted-imports': restrictedImports({ production: true, owner }) },
  })),
  {
    files: [...TEST_SUPPORT, 'test/**/*.ts', 'scripts/**/*.ts'],
    rules: { 'no-restricted-imports': restrictedImports({ production: false }) },
  },
  ...CLIENT_OWNERS.map((owner) => ({
    files: TEST_SUPPORT.map((glob) => `${owner}/${glob}`),
    rules: { 'no-restricted-imports': restrictedImports({ production: false, owner }) },
  })),
  {
    // The simulator's own tests drive it with the official Stripe SDK, as an independent client.
    files: ['libs/simulator/**/*.spec.ts'],
    rules: {
      'no-restricted-imports': restrictedImports({ production: false, owner: 'libs/providers' }),
    },
  },
  {
    // Configuration is read once, from the environment handed to loadConfig (STYLE R17): only a
    // service's main.ts, libs/config, test support, tests and scripts may touch process.env.
    files: ['libs/**/*.ts', 'services/**/*.ts'],
    ignores: [...TEST_SUPPORT, 'libs/config/**', 'libs/testkit/**', 'services/*/src/main.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Read settings from the injected config, not process.env (STYLE R17).',
        },
        {
          selector:
            "VariableDeclarator[init.name='process'] > ObjectPattern > Property[key.name='env']",
          message: 'Read settings from the injected config, not process.env (STYLE R17).',
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
  {
    // Jest setup files (setupFilesAfterEnv) run inside the test environment, with its globals.
    files: ['scripts/jest/**/*.mjs'],
    languageOptions: { globals: { expect: 'readonly' } },
  },
);
