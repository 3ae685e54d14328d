// The decision logic of `npm run audit:deps` (scripts/audit/audit.ts), kept apart so its unit test
// needs no network: what `npm audit --omit=dev --json` printed, checked against the documented
// allowlist (security/audit-allowlist.json).

/** Severities that fail the check unless allowlisted (issue 15 item 10). */
export const BLOCKING_SEVERITIES: readonly string[] = ['high', 'critical'];
const SEVERITIES = ['critical', 'high', 'moderate', 'low', 'info'] as const;

/** One documented exception: an advisory that does not apply to paysync, and why. */
export interface AllowlistEntry {
  /** The advisory: its GHSA id (`GHSA-xxxx-xxxx-xxxx`) or npm's numeric advisory id. */
  readonly id: string;
  /** The vulnerable package the advisory is about (as npm audit names it). */
  readonly package: string;
  readonly reason: string;
  /** YYYY-MM-DD: from this day on the entry no longer suppresses the advisory. */
  readonly reviewBy: string;
}

/** One advisory on one package, as found in an npm audit report. */
export interface Advisory {
  /** GHSA id when the report links one, else npm's numeric id. */
  readonly id: string;
  readonly source: string | undefined;
  readonly package: string;
  readonly severity: string;
  readonly title: string;
  readonly url: string | undefined;
}

export type AuditOutcome =
  | {
      readonly kind: 'checked';
      readonly counts: Readonly<Record<string, number>>;
      /** High/critical advisories not covered by a valid allowlist entry: these fail the check. */
      readonly blocking: readonly Advisory[];
      /** High/critical advisories an allowlist entry covers. */
      readonly allowed: readonly { advisory: Advisory; entry: AllowlistEntry }[];
      /** Entries past their review-by date that matched an advisory (it blocks again). */
      readonly expired: readonly AllowlistEntry[];
      /** Entries that matched nothing (the advisory is gone: remove the entry). */
      readonly unused: readonly AllowlistEntry[];
    }
  | { readonly kind: 'unreachable'; readonly reason: string };

/**
 * Parses and validates the allowlist file's content: `{ "advisories": [{ id, package, reason,
 * reviewBy }] }`. Throws one error naming every bad entry (a bad allowlist fails the check: it
 * must not silently allow more than it says).
 */
export function parseAllowlist(text: string): AllowlistEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`the allowlist is not valid JSON: ${(err as Error).message}`);
  }
  const advisories = (doc as { advisories?: unknown } | null)?.advisories;
  if (!Array.isArray(advisories)) {
    throw new Error('the allowlist must be an object with an "advisories" array');
  }
  const problems: string[] = [];
  const entries: AllowlistEntry[] = [];
  advisories.forEach((raw: unknown, i) => {
    const e = (raw ?? {}) as Record<string, unknown>;
    const bad: string[] = [];
    for (const field of ['id', 'package', 'reason', 'reviewBy'] as const) {
      if (typeof e[field] !== 'string' || (e[field] as string).trim() === '') {
        bad.push(`${field} is missing or empty`);
      }
    }
    if (typeof e.reviewBy === 'string' && !isIsoDate(e.reviewBy)) {
      bad.push(`reviewBy must be a date YYYY-MM-DD (got ${JSON.stringify(e.reviewBy)})`);
    }
    if (bad.length > 0) {
      problems.push(`advisories[${i}]: ${bad.join('; ')}`);
      return;
    }
    entries.push({
      id: (e.id as string).trim(),
      package: (e.package as string).trim(),
      reason: (e.reason as string).trim(),
      reviewBy: e.reviewBy as string,
    });
  });
  if (problems.length > 0) throw new Error(`invalid allowlist: ${problems.join(', ')}`);
  return entries;
}

function isIsoDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(value);
}

/** An entry still suppresses its advisory on `today` (YYYY-MM-DD) if today is before reviewBy. */
export function isEntryCurrent(entry: AllowlistEntry, today: string): boolean {
  return today < entry.reviewBy;
}

interface NpmVia {
  readonly source?: number | string;
  readonly name?: string;
  readonly title?: string;
  readonly url?: string;
  readonly severity?: string;
}

/**
 * Reads what `npm audit --json` printed (stdout, and stderr for network errors). A report with a
 * `vulnerabilities` object is checked against the allowlist; an error from the audit endpoint or
 * the network (npm prints `{ "message": …, "statusCode": … }` or an `error` object, or ENOTFOUND
 * and the like) is `unreachable`. Anything else throws: an unknown answer must not pass.
 */
export function evaluateAudit(
  stdout: string,
  stderr: string,
  allowlist: readonly AllowlistEntry[],
  today: string,
): AuditOutcome {
  let report: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(stdout);
    if (parsed && typeof parsed === 'object') report = parsed as Record<string, unknown>;
  } catch {
    report = undefined;
  }
  if (report && typeof report.vulnerabilities === 'object' && report.vulnerabilities !== null) {
    return check(report, allowlist, today);
  }
  const unreachable = unreachableReason(report, stderr);
  if (unreachable) return { kind: 'unreachable', reason: unreachable };
  throw new Error(
    `npm audit gave no report and no recognisable endpoint error: ${oneLine(stdout || stderr).slice(0, 300)}`,
  );
}

const NETWORK_ERRORS =
  /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|CERT_[A-Z_]+|UNABLE_TO_[A-Z_]+|SELF_SIGNED_CERT_IN_CHAIN)\b/;

function unreachableReason(
  report: Record<string, unknown> | undefined,
  stderr: string,
): string | undefined {
  const error = report?.error as { code?: unknown; summary?: unknown } | undefined;
  if (typeof report?.message === 'string' && typeof report.statusCode === 'number') {
    return report.message;
  }
  if (error && typeof error === 'object') {
    const code = typeof error.code === 'string' ? error.code : '';
    const summary = typeof error.summary === 'string' ? error.summary : '';
    if (NETWORK_ERRORS.test(code) || /audit endpoint|request to .* failed/i.test(summary)) {
      return oneLine(`${code} ${summary}`);
    }
  }
  const network = NETWORK_ERRORS.exec(stderr);
  if (network || /audit endpoint returned an error/i.test(stderr)) {
    const line = stderr
      .split('\n')
      .find((l) => NETWORK_ERRORS.test(l) || /audit|request to/i.test(l));
    return oneLine(line ?? network?.[0] ?? 'audit endpoint error');
  }
  return undefined;
}

function check(
  report: Record<string, unknown>,
  allowlist: readonly AllowlistEntry[],
  today: string,
): AuditOutcome {
  const metaCounts = (report.metadata as { vulnerabilities?: Record<string, number> } | undefined)
    ?.vulnerabilities;
  const advisories = new Map<string, Advisory>();
  const counts: Record<string, number> = Object.fromEntries(SEVERITIES.map((s) => [s, 0]));
  for (const [name, vuln] of Object.entries(report.vulnerabilities as Record<string, unknown>)) {
    const v = vuln as { severity?: string; via?: unknown[] };
    if (!metaCounts && typeof v.severity === 'string' && v.severity in counts) {
      counts[v.severity] = (counts[v.severity] ?? 0) + 1;
    }
    for (const via of v.via ?? []) {
      // A string names another vulnerable package: its advisory is listed under that package.
      if (!via || typeof via !== 'object') continue;
      const a = via as NpmVia;
      const source = a.source === undefined ? undefined : String(a.source);
      const ghsa = /GHSA-[\w]{4}-[\w]{4}-[\w]{4}/i.exec(a.url ?? '')?.[0];
      const id = ghsa ?? source ?? a.url ?? a.title ?? 'unknown';
      const pkg = a.name ?? name;
      advisories.set(`${id}|${pkg}`, {
        id,
        source,
        package: pkg,
        severity: a.severity ?? v.severity ?? 'unknown',
        title: a.title ?? '',
        url: a.url,
      });
    }
  }
  if (metaCounts) for (const s of SEVERITIES) counts[s] = metaCounts[s] ?? 0;

  const blocking: Advisory[] = [];
  const allowed: { advisory: Advisory; entry: AllowlistEntry }[] = [];
  const expired = new Set<AllowlistEntry>();
  const used = new Set<AllowlistEntry>();
  for (const advisory of advisories.values()) {
    if (!BLOCKING_SEVERITIES.includes(advisory.severity)) continue;
    const matches = allowlist.filter(
      (e) =>
        e.package === advisory.package &&
        (e.id.toUpperCase() === advisory.id.toUpperCase() || e.id === advisory.source),
    );
    matches.forEach((e) => used.add(e));
    const current = matches.find((e) => isEntryCurrent(e, today));
    if (current) {
      allowed.push({ advisory, entry: current });
    } else {
      matches.forEach((e) => expired.add(e));
      blocking.push(advisory);
    }
  }
  return {
    kind: 'checked',
    counts,
    blocking,
    allowed,
    expired: [...expired],
    unused: allowlist.filter((e) => !used.has(e)),
  };
}

/** The one line the CI log shows. */
export function summaryLine(outcome: AuditOutcome): string {
  if (outcome.kind === 'unreachable') {
    return `[audit] SKIPPED, dependencies NOT checked: the npm audit endpoint is unreachable (${outcome.reason})`;
  }
  const c = outcome.counts;
  const counts = SEVERITIES.filter((s) => s !== 'info')
    .map((s) => `${c[s] ?? 0} ${s}`)
    .join(', ');
  const allowed =
    outcome.allowed.length > 0
      ? `; ${outcome.allowed.length} high/critical allowlisted (${outcome.allowed.map((a) => a.advisory.id).join(', ')})`
      : '';
  if (outcome.blocking.length === 0) {
    return `[audit] OK: npm audit --omit=dev: ${counts}${allowed}`;
  }
  const list = outcome.blocking.map((a) => `${a.id} in ${a.package} (${a.severity})`).join(', ');
  return `[audit] FAILED: npm audit --omit=dev: ${outcome.blocking.length} high/critical advisory(ies) not allowlisted: ${list} (${counts}${allowed})`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
