// `npm run audit:deps` (a step of .ci/run): `npm audit --omit=dev --json`, failing on any high or
// critical advisory of a production dependency unless security/audit-allowlist.json documents why
// it does not apply (id, package, reason, review-by date). Prints one summary line.
//
// When the registry's audit endpoint cannot be reached (no network, a mirror without the audit
// API), the dependencies are NOT checked: the line says so and the exit code is 0, unless
// AUDIT_REQUIRE_ENDPOINT=1 (then 2). Any other unexpected answer from npm fails (exit 1).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { evaluateAudit, parseAllowlist, summaryLine } from './audit-report.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const allowlistPath = join(root, 'security/audit-allowlist.json');

function main(): number {
  let allowlist;
  try {
    allowlist = parseAllowlist(readFileSync(allowlistPath, 'utf8'));
  } catch (err) {
    console.error(`[audit] FAILED: security/audit-allowlist.json: ${(err as Error).message}`);
    return 1;
  }
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const run = spawnSync(npm, ['audit', '--omit=dev', '--json'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000,
  });
  if (run.error) {
    console.error(`[audit] FAILED: could not run npm audit: ${run.error.message}`);
    return 1;
  }
  const today = new Date().toISOString().slice(0, 10);
  let outcome;
  try {
    outcome = evaluateAudit(run.stdout, run.stderr, allowlist, today);
  } catch (err) {
    console.error(`[audit] FAILED: ${(err as Error).message}`);
    return 1;
  }
  if (outcome.kind === 'unreachable') {
    console.log(summaryLine(outcome));
    return process.env.AUDIT_REQUIRE_ENDPOINT === '1' ? 2 : 0;
  }
  for (const a of outcome.blocking) {
    console.log(
      `[audit]   ${a.severity} ${a.id} in ${a.package}: ${a.title} ${a.url ?? ''}`.trimEnd(),
    );
  }
  for (const e of outcome.expired) {
    console.log(
      `[audit]   allowlist entry ${e.id} (${e.package}) passed its review-by date ${e.reviewBy}: review it`,
    );
  }
  for (const e of outcome.unused) {
    console.log(`[audit]   allowlist entry ${e.id} (${e.package}) matches no advisory: remove it`);
  }
  console.log(summaryLine(outcome));
  return outcome.blocking.length === 0 ? 0 : 1;
}

process.exitCode = main();
