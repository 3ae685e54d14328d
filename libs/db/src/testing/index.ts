export { aCustomerChange, aCustomerData, aProductChange, anEvent } from './builders.js';
export {
  createTestDatabase,
  createTestPrisma,
  migrationsDir,
  templateDatabaseName,
} from './test-database.js';
export type { TestDatabase, TestPrisma } from './test-database.js';
