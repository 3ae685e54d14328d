import { describe, expect, it } from '@jest/globals';

import {
  evaluateAudit,
  parseAllowlist,
  summaryLine,
  type AllowlistEntry,
  type AuditOutcome,
} from './audit-report.js';

const TODAY = '2026-11-29';

/** An `npm audit --json` (report version 2) body: minimist critical via mkdirp, one moderate. */
function report(overrides: { severity?: string } = {}) {
  return JSON.stringify({
    auditReportVersion: 2,
    vulnerabilities: {
      minimist: {
        name: 'minimist',
        severity: overrides.severity ?? 'critical',
        isDirect: false,
        via: [
          {
            source: 1097678,
            name: 'minimist',
            dependency: 'minimist',
            title: 'Prototype Pollution in minimist',
            url: 'https://github.com/advisories/GHSA-xvch-5gv4-984h',
            severity: overrides.severity ?? 'critical',
            range: '<0.2.4',
          },
        ],
        effects: ['mkdirp'],
        range: '<=0.2.3',
        nodes: ['node_modules/minimist'],
        fixAvailable: true,
      },
      // Only a string in `via`: its advisory is listed under minimist, not counted twice.
      mkdirp: {
        name: 'mkdirp',
        severity: overrides.severity ?? 'critical',
        isDirect: true,
        via: ['minimist'],
        effects: [],
        range: '0.4.1 - 0.5.1',
        nodes: ['node_modules/mkdirp'],
        fixAvailable: true,
      },
      semver: {
        name: 'semver',
        severity: 'moderate',
        isDirect: false,
        via: [
          {
            source: 1101088,
            name: 'semver',
            title: 'semver vulnerable to Regular Expression Denial of Service',
            url: 'https://github.com/advisories/GHSA-c2qf-rxjj-qqgw',
            severity: 'moderate',
          },
        ],
      },
    },
    metadata: {
      vulnerabilities: {
        info: 0,
        low: 0,
        moderate: 1,
        high: 0,
        critical: overrides.severity === 'high' ? 0 : 2,
        total: 3,
      },
    },
  });
}

const CLEAN = JSON.stringify({
  auditReportVersion: 2,
  vulnerabilities: {},
  metadata: { vulnerabilities: { info: 0, low: 0, moderate: 0, high: 0, critical: 0, total: 0 } },
});

const entry = (e: Partial<AllowlistEntry> = {}): AllowlistEntry => ({
  id: 'GHSA-xvch-5gv4-984h',
  package: 'minimist',
  reason: 'only parses our own fixed argv, never user input',
  reviewBy: '2027-01-31',
  ...e,
});

function checked(outcome: AuditOutcome) {
  if (outcome.kind !== 'checked')
    throw new Error(`expected a checked outcome, got ${outcome.kind}`);
  return outcome;
}

describe('evaluateAudit: which advisories fail the check', () => {
  it('a clean report passes and says so in one line', () => {
    const outcome = checked(evaluateAudit(CLEAN, '', [], TODAY));
    expect(outcome.blocking).toEqual([]);
    expect(summaryLine(outcome)).toBe(
      '[audit] OK: npm audit --omit=dev: 0 critical, 0 high, 0 moderate, 0 low',
    );
  });

  it('a critical advisory without an allowlist entry fails, once per advisory and package', () => {
    const outcome = checked(evaluateAudit(report(), '', [], TODAY));
    expect(outcome.blocking).toEqual([
      expect.objectContaining({
        id: 'GHSA-xvch-5gv4-984h',
        source: '1097678',
        package: 'minimist',
        severity: 'critical',
      }),
    ]);
    const line = summaryLine(outcome);
    expect(line).toMatch(/^\[audit\] FAILED: /);
    expect(line).toContain('GHSA-xvch-5gv4-984h in minimist (critical)');
    expect(line.split('\n')).toHaveLength(1);
  });

  it('high fails too; moderate and low never do', () => {
    expect(checked(evaluateAudit(report({ severity: 'high' }), '', [], TODAY)).blocking).toEqual([
      expect.objectContaining({ severity: 'high' }),
    ]);
    expect(
      checked(evaluateAudit(report({ severity: 'moderate' }), '', [], TODAY)).blocking,
    ).toEqual([]);
    expect(checked(evaluateAudit(report({ severity: 'low' }), '', [], TODAY)).blocking).toEqual([]);
  });

  it('an allowlist entry for that advisory and package lets it pass, and is named', () => {
    const outcome = checked(evaluateAudit(report(), '', [entry()], TODAY));
    expect(outcome.blocking).toEqual([]);
    expect(outcome.allowed.map((a) => a.entry)).toEqual([entry()]);
    expect(summaryLine(outcome)).toBe(
      '[audit] OK: npm audit --omit=dev: 2 critical, 0 high, 1 moderate, 0 low; 1 high/critical allowlisted (GHSA-xvch-5gv4-984h)',
    );
  });

  it('npm’s numeric advisory id matches as well as the GHSA id (case-insensitive)', () => {
    expect(
      checked(evaluateAudit(report(), '', [entry({ id: '1097678' })], TODAY)).blocking,
    ).toEqual([]);
    expect(
      checked(evaluateAudit(report(), '', [entry({ id: 'ghsa-xvch-5gv4-984h' })], TODAY)).blocking,
    ).toEqual([]);
  });

  it('an entry for another package or another advisory does not cover it', () => {
    for (const e of [entry({ package: 'mkdirp' }), entry({ id: 'GHSA-c2qf-rxjj-qqgw' })]) {
      const outcome = checked(evaluateAudit(report(), '', [e], TODAY));
      expect(outcome.blocking).toHaveLength(1);
      expect(outcome.unused).toEqual([e]);
    }
  });

  it('an entry past its review-by date blocks again and is reported as expired', () => {
    const stale = entry({ reviewBy: TODAY });
    const outcome = checked(evaluateAudit(report(), '', [stale], TODAY));
    expect(outcome.blocking).toHaveLength(1);
    expect(outcome.expired).toEqual([stale]);
    expect(
      checked(evaluateAudit(report(), '', [entry({ reviewBy: '2026-11-30' })], TODAY)).blocking,
    ).toEqual([]);
  });
});

describe('evaluateAudit: an unreachable audit endpoint', () => {
  it('the registry refusing the bulk advisory endpoint (what this sandbox answers) is unreachable', () => {
    const stdout = JSON.stringify({
      message:
        '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
      method: 'POST',
      uri: 'https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
      statusCode: 405,
      body: '',
      error: { summary: '', detail: '' },
    });
    const outcome = evaluateAudit(
      stdout,
      'npm error audit endpoint returned an error\n',
      [],
      TODAY,
    );
    expect(outcome).toEqual({
      kind: 'unreachable',
      reason:
        '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
    });
    expect(summaryLine(outcome)).toMatch(
      /^\[audit\] SKIPPED, dependencies NOT checked: the npm audit endpoint is unreachable \(405 /,
    );
  });

  it('a network error (no DNS, refused, timeout) is unreachable', () => {
    const stdout = JSON.stringify({
      error: {
        code: 'ENOTFOUND',
        summary: 'request to https://registry.npmjs.org/-/npm/v1/security/advisories/bulk failed',
        detail: '',
      },
    });
    expect(evaluateAudit(stdout, '', [], TODAY)).toMatchObject({ kind: 'unreachable' });
    expect(
      evaluateAudit('', 'npm error code EAI_AGAIN\nnpm error request to … failed\n', [], TODAY),
    ).toMatchObject({ kind: 'unreachable' });
  });

  it('any other answer is an error, never a pass', () => {
    expect(() => evaluateAudit('', 'npm error code ENOLOCK\n', [], TODAY)).toThrow(/no report/);
    expect(() => evaluateAudit('{"foo":1}', '', [], TODAY)).toThrow(/no report/);
  });
});

describe('parseAllowlist', () => {
  it('reads the documented shape', () => {
    expect(parseAllowlist(JSON.stringify({ description: 'x', advisories: [entry()] }))).toEqual([
      entry(),
    ]);
    expect(parseAllowlist('{"advisories": []}')).toEqual([]);
  });

  it('refuses entries without a reason or a valid review-by date, naming each', () => {
    const text = JSON.stringify({
      advisories: [
        entry({ reason: ' ' }),
        entry({ reviewBy: '2026-02-30' }),
        { id: 'GHSA-aaaa-bbbb-cccc', package: 'x', reason: 'r' },
      ],
    });
    expect(() => parseAllowlist(text)).toThrow(
      'invalid allowlist: advisories[0]: reason is missing or empty, advisories[1]: reviewBy must be a date YYYY-MM-DD (got "2026-02-30"), advisories[2]: reviewBy is missing or empty',
    );
  });

  it('refuses a file that is not the documented object', () => {
    expect(() => parseAllowlist('[]')).toThrow(/"advisories" array/);
    expect(() => parseAllowlist('{')).toThrow(/not valid JSON/);
  });

  it('the committed allowlist is valid', async () => {
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(
      new URL('../../security/audit-allowlist.json', import.meta.url),
      'utf8',
    );
    expect(Array.isArray(parseAllowlist(text))).toBe(true);
  });
});
