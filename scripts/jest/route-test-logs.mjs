// setupFilesAfterEnv of the tiers that build services (int, e2e, faults): names this test file's
// log file (scripts/jest/test-logs.mjs) in `PAYSYNC_TEST_LOG_FILE`, which the services' test config
// passes on as `LOG_FILE`, so their logs land in that file instead of the console.
import { testLogFile } from './test-logs.mjs';

const file = testLogFile(expect.getState().testPath ?? '');
if (file) process.env.PAYSYNC_TEST_LOG_FILE = file;
else delete process.env.PAYSYNC_TEST_LOG_FILE;
