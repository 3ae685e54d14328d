import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import pg from 'pg';

import { templateDatabaseName } from '@paysync/db/testing';
import { stackEnv, uniqueId } from '@paysync/testkit';

import { repoRoot } from './processes.js';

// The dashboards and rules in observability/, read the way Grafana and Prometheus read them, for
// the tests that hold them to the code (test/e2e/observability-*.e2e.spec.ts).

const DASHBOARDS_DIR = join(repoRoot, 'observability/dashboards');
export const RULES_FILE = join(repoRoot, 'observability/rules/paysync.rules.yaml');
export const RULES_TEST_FILE = join(repoRoot, 'observability/rules/paysync.rules.test.yaml');
export const DOCS_FILE = join(repoRoot, 'docs/observability.md');

interface Target {
  refId: string;
  expr: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query?: string | { query: string };
  datasource?: { type?: string; uid?: string };
  allValue?: string;
}
export interface Dashboard {
  file: string;
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Variable[] };
}

export function loadDashboards(): Dashboard[] {
  return readdirSync(DASHBOARDS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({
      file,
      ...(JSON.parse(readFileSync(join(DASHBOARDS_DIR, file), 'utf8')) as Omit<Dashboard, 'file'>),
    }));
}

export interface PanelQuery {
  readonly where: string;
  readonly expr: string;
}

/** Every query of every panel (rows included), as `dashboard / panel [refId]`. */
export function panelQueries(dashboards = loadDashboards()): PanelQuery[] {
  const out: PanelQuery[] = [];
  const walk = (d: Dashboard, panels: Panel[]) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) {
        out.push({ where: `${d.title} / ${p.title} [${t.refId}]`, expr: t.expr });
      }
      walk(d, p.panels ?? []);
    }
  };
  for (const d of dashboards) walk(d, d.panels);
  return out;
}

/**
 * Template variables' queries as PromQL: `label_values(m{…}, label)` becomes `m{…}` (the series
 * whose `label` values the variable lists).
 */
export function variableQueries(dashboards = loadDashboards()): PanelQuery[] {
  const out: PanelQuery[] = [];
  for (const d of dashboards) {
    for (const v of d.templating.list) {
      if (v.type !== 'query') continue;
      const q = typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
      const m = /^label_values\((.*),\s*([a-zA-Z_]\w*)\)$/s.exec(q.trim());
      if (!m) throw new Error(`${d.title}: variable ${v.name} is not a label_values() query: ${q}`);
      out.push({ where: `${d.title} / variable ${v.name}`, expr: m[1] as string });
    }
  }
  return out;
}

/**
 * Grafana's variables replaced as Grafana would for one namespace and every service: enough for
 * Prometheus to run the query.
 */
export function substitute(
  expr: string,
  vars: { namespace: string; rateInterval: string },
): string {
  return expr
    .replaceAll('$__rate_interval', vars.rateInterval)
    .replaceAll('$__interval', vars.rateInterval)
    .replaceAll('$namespace', vars.namespace)
    .replaceAll('$service', '.*');
}

export interface Rule {
  readonly kind: 'record' | 'alert';
  readonly name: string;
  readonly expr: string;
  readonly runbook?: string;
}

/**
 * The rules of the plain rules file (its own regular layout: `- record|alert: name`, `expr: |`
 * block, `runbook_url: "…"`); promtool checks the file itself separately.
 */
export function loadRules(file = RULES_FILE): Rule[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const rules: { kind: 'record' | 'alert'; name: string; expr: string; runbook?: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const head = /^\s*- (record|alert): (\S+)\s*$/.exec(line);
    if (head) {
      rules.push({ kind: head[1] as 'record' | 'alert', name: head[2] as string, expr: '' });
      continue;
    }
    const rule = rules.at(-1);
    if (!rule) continue;
    const expr = /^(\s*)expr: (\|-?)?(.*)$/.exec(line);
    if (expr) {
      if (!expr[2]) {
        rule.expr = (expr[3] as string).trim();
        continue;
      }
      const indent = (expr[1] as string).length;
      const body: string[] = [];
      while (i + 1 < lines.length) {
        const next = lines[i + 1] as string;
        if (next.trim() !== '' && next.length - next.trimStart().length <= indent) break;
        body.push(next.trim());
        i++;
      }
      rule.expr = body.join('\n').trim();
      continue;
    }
    const runbook = /^\s*runbook_url: ["']?([^"']*)["']?\s*$/.exec(line);
    if (runbook) rule.runbook = runbook[1];
  }
  return rules;
}

const NOT_METRICS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'offset',
  'bool',
  'inf',
  'nan',
]);

/** The metric names a PromQL expression selects (strings, matchers, ranges and label lists removed). */
export function metricNames(expr: string): string[] {
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of s.matchAll(/(?<![A-Za-z0-9_:.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const name = m[1] as string;
    if (m[2] || NOT_METRICS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names];
}

/**
 * The metric names a Prometheus text exposition declares (`# TYPE`), with the series names of
 * histograms and summaries, plus every sample's name: a labelled metric with no series yet (a
 * gauge of running sessions after they finished) is still exposed.
 */
export function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)/.exec(line);
    if (type) {
      const [, name, kind] = type as unknown as [string, string, string];
      names.add(name);
      if (kind === 'histogram') for (const s of ['_bucket', '_count', '_sum']) names.add(name + s);
      if (kind === 'summary') for (const s of ['_count', '_sum']) names.add(name + s);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (m) names.add(m[1] as string);
  }
  return names;
}

/** promtool from Debian's `prometheus` package (CI installs it; see .ci/run). */
export function promtool(args: readonly string[], cwd = repoRoot) {
  const res = spawnSync('promtool', [...args], { cwd, encoding: 'utf8' });
  if (res.error) {
    throw new Error(
      `promtool is not installed (${res.error.message}): apt-get install prometheus (Debian's package brings promtool and the server)`,
    );
  }
  return { status: res.status, output: `${res.stdout}${res.stderr}` };
}

/**
 * A clone of the migrated test template, like createTestDatabase, under its own prefix: this file
 * runs for minutes, and a jest run started meanwhile on a shared machine drops every
 * `paysync_t_*` database it finds as a leftover.
 */
export async function cloneTemplateDatabase(): Promise<{
  url: string;
  /** As the services' login role (under row-level security). */
  appUrl: string;
  drop(): Promise<void>;
}> {
  const name = uniqueId('paysync_obs_').toLowerCase();
  const adminUrl = new URL(stackEnv().databaseUrl);
  adminUrl.pathname = '/postgres';
  const run = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl.toString() });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await run(`CREATE DATABASE "${name}" TEMPLATE "${templateDatabaseName}"`);
  const url = new URL(stackEnv().databaseUrl);
  url.pathname = `/${name}`;
  const appUrl = new URL(stackEnv().appDatabaseUrl);
  appUrl.pathname = `/${name}`;
  return {
    url: url.toString(),
    appUrl: appUrl.toString(),
    drop: () => run(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}
