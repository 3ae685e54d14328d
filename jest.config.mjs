// One jest run, three tiers decided by file suffix (STYLE R39):
//   *.spec.ts      unit: no network, no database
//   *.int.spec.ts  integration: real PostgreSQL + Kafka from scripts/stack
//   *.e2e.spec.ts  end to end: several services across Kafka and PostgreSQL
//   *.faults.spec.ts  outages of the shared Kafka/PostgreSQL; a separate, serial pass
// Tests import @paysync/* from source (not dist) and run as native ESM (Prisma 7's client needs it).
const transform = {
  '^.+\\.(t|j)sx?$': [
    '@swc/jest',
    {
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022', keepClassNames: true },
      module: { type: 'es6' },
      sourceMaps: 'inline',
    },
  ],
};

const shared = {
  transform,
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^@paysync/([a-z-]+)$': '<rootDir>/libs/$1/src/index.ts',
    '^@paysync/([a-z-]+)/testing$': '<rootDir>/libs/$1/src/testing/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.cache/'],
  rootDir: '.',
};

// Tiers that build services: each test file's service logs go to a file of its own, printed only
// when that file fails (scripts/jest/totals-reporter.mjs).
const servicesUnderTest = {
  setupFilesAfterEnv: ['<rootDir>/scripts/jest/route-test-logs.mjs'],
};

export default {
  // The default console reporter, plus the test ledger and failed files' service logs.
  reporters: ['default', '<rootDir>/scripts/jest/totals-reporter.mjs'],
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: [
        '<rootDir>/{libs,services}/**/*.spec.ts',
        '<rootDir>/helm/*/tests/**/*.spec.ts',
        '<rootDir>/scripts/audit/*.spec.ts',
      ],
      testPathIgnorePatterns: [...shared.testPathIgnorePatterns, '\\.(int|e2e)\\.spec\\.ts$'],
    },
    {
      ...shared,
      ...servicesUnderTest,
      displayName: 'int',
      testMatch: ['<rootDir>/{libs,services}/**/*.int.spec.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      slowTestThreshold: 30,
    },
    {
      ...shared,
      ...servicesUnderTest,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e.spec.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      slowTestThreshold: 60,
    },
    {
      ...shared,
      ...servicesUnderTest,
      displayName: 'faults',
      // Stop and start the shared Kafka/PostgreSQL: run alone, after everything else.
      testMatch: ['<rootDir>/test/faults/**/*.faults.spec.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      slowTestThreshold: 120,
    },
  ],
  testTimeout: 60_000,
};
