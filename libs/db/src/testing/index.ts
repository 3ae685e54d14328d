export { aCustomerChange, aCustomerData, aProductChange, anEvent } from './builders.js';
export { createTestDatabase, migrationsDir, templateDatabaseName } from './test-database.js';
export type { TestDatabase } from './test-database.js';
