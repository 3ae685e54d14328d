// Where the services built by one test file write their logs: one file per test file under
// `PAYSYNC_TEST_LOG_DIR` (a temp folder `npm test` creates per run). Unset: logs go to stdout.
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '../..');

export function testLogFile(testPath, env = process.env) {
  const dir = env.PAYSYNC_TEST_LOG_DIR;
  if (!dir) return undefined;
  return join(dir, `${relative(root, testPath).replace(/[\\/]/g, '__')}.log`);
}
