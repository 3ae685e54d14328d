import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import {
  DOCS_FILE,
  RULES_FILE,
  RULES_TEST_FILE,
  loadDashboards,
  loadRules,
  metricNames,
  panelQueries,
  promtool,
  substitute,
  variableQueries,
} from '../support/observability.js';

// The alert rules and dashboards as files: promtool accepts the rules, each alert has a unit test
// that fires on a bad series and stays silent on a good one, every PromQL expression parses, and
// the dashboards are portable (datasource/namespace/service variables, no datasource UID).
// Whether the metric names exist and every panel shows data: observability-prometheus.e2e.spec.ts.

const rules = loadRules();
const alerts = rules.filter((r) => r.kind === 'alert');

describe('rules file', () => {
  it('passes promtool check rules', () => {
    const { status, output } = promtool(['check', 'rules', RULES_FILE]);
    expect([status, output]).toEqual([0, expect.stringContaining('SUCCESS')]);
  });

  it('passes promtool test rules, with a test for every alert', () => {
    const { status, output } = promtool(
      ['test', 'rules', RULES_TEST_FILE],
      dirname(RULES_TEST_FILE),
    );
    expect([status, output]).toEqual([0, expect.stringContaining('SUCCESS')]);
    const tests = readFileSync(RULES_TEST_FILE, 'utf8');
    const tested = new Set([...tests.matchAll(/alertname: (\S+)/g)].map((m) => m[1]));
    expect(alerts.map((a) => a.name).filter((n) => !tested.has(n))).toEqual([]);
    // Every test expects exactly the alert on the bad series: the good ones must stay silent.
    expect(tests).not.toMatch(/exp_alerts: \[\]/);
    for (const block of tests.split(/\n {2}- interval:/).slice(1)) {
      expect(block).toMatch(/namespace="good"/);
      expect(block).toMatch(/namespace: ["']bad["']/);
    }
  });

  it('covers the alerts the issue asks for, each with a runbook section in docs/observability.md', () => {
    expect(alerts.map((a) => a.name).sort()).toEqual(
      expect.arrayContaining([
        'PaysyncDeadLettersGrowing',
        'PaysyncWebhookLatencyAboveSLO',
        'PaysyncConsumerLagGrowing',
        'PaysyncOutboxNotEmpty',
        'PaysyncWebhookRejectionSpike',
        'PaysyncSyncSessionsFailing',
        'PaysyncReconciliationDriftFound',
        'PaysyncEventGapsFound',
        'PaysyncServiceDown',
        'PaysyncServiceNotReady',
        'PaysyncWebhookSLOFastBurn',
        'PaysyncWebhookSLOSlowBurn',
      ]),
    );
    const docs = readFileSync(DOCS_FILE, 'utf8');
    const anchors = new Set(
      [...docs.matchAll(/^#+ (.*)$/gm)].map((m) =>
        (m[1] as string)
          .toLowerCase()
          .replace(/[^\w\- ]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    for (const alert of alerts) {
      expect([alert.name, alert.runbook?.startsWith('docs/observability.md#')]).toEqual([
        alert.name,
        true,
      ]);
      const anchor = alert.runbook?.split('#')[1] ?? '';
      expect([alert.name, anchors.has(anchor)]).toEqual([alert.name, true]);
      expect(docs).toContain(alert.name);
    }
  });
});

describe('dashboards', () => {
  const dashboards = loadDashboards();

  it('are the four the docs describe, each with datasource, namespace and service variables', () => {
    expect(dashboards.map((d) => d.file)).toEqual([
      'overview.json',
      'recovery.json',
      'services.json',
      'sync.json',
    ]);
    for (const d of dashboards) {
      const vars = Object.fromEntries(d.templating.list.map((v) => [v.name, v]));
      expect([d.file, vars.datasource?.type]).toEqual([d.file, 'datasource']);
      expect([d.file, vars.namespace?.type, vars.service?.type]).toEqual([
        d.file,
        'query',
        'query',
      ]);
      expect(new Set(d.panels.map((p) => p.id)).size).toBe(d.panels.length);
    }
  });

  it("lay panels out on Grafana's 24-column grid without overlaps", () => {
    for (const d of dashboards) {
      const cells = new Map<string, string>();
      for (const p of d.panels as unknown as {
        title: string;
        gridPos: { x: number; y: number; w: number; h: number };
      }[]) {
        const { x, y, w, h } = p.gridPos;
        expect([d.title, p.title, x >= 0 && w > 0 && h > 0 && x + w <= 24]).toEqual([
          d.title,
          p.title,
          true,
        ]);
        for (let i = x; i < x + w; i++) {
          for (let j = y; j < y + h; j++) {
            const taken = cells.get(`${i},${j}`);
            expect([d.title, p.title, taken]).toEqual([d.title, p.title, undefined]);
            cells.set(`${i},${j}`, p.title);
          }
        }
      }
    }
  });

  it('never hard-code a datasource UID', () => {
    for (const d of dashboards) {
      const text = readFileSync(join(dirname(RULES_FILE), '../dashboards', d.file), 'utf8');
      const uids = [...text.matchAll(/"uid":\s*"([^"]*)"/g)].map((m) => m[1]);
      // The dashboard's own uid, and every datasource reference through the variable.
      expect(uids.filter((u) => u !== d.uid && u !== '${datasource}')).toEqual([]);
    }
  });

  it('every panel has a query, and every query and variable filters by namespace', () => {
    for (const d of dashboards) {
      for (const p of d.panels.filter((x) => x.type !== 'row')) {
        expect([d.title, p.title, (p.targets?.length ?? 0) > 0]).toEqual([d.title, p.title, true]);
      }
    }
    for (const q of panelQueries(dashboards)) {
      expect([q.where, q.expr.includes('namespace=~"$namespace"')]).toEqual([q.where, true]);
    }
  });
});

it('every PromQL expression of the dashboards and rules parses (promtool)', () => {
  const exprs = [
    ...panelQueries().map((q) => ({
      ...q,
      expr: substitute(q.expr, { namespace: 'ns', rateInterval: '1m' }),
    })),
    ...variableQueries().map((q) => ({
      ...q,
      expr: substitute(q.expr, { namespace: 'ns', rateInterval: '1m' }),
    })),
    ...rules.map((r) => ({ where: `rule ${r.name}`, expr: r.expr })),
  ];
  expect(exprs.length).toBeGreaterThan(50);
  for (const e of exprs) expect([e.where, metricNames(e.expr).length > 0]).toEqual([e.where, true]);
  const dir = mkdtempSync(join(tmpdir(), 'paysync-promql-'));
  try {
    const file = join(dir, 'parse.rules.yaml');
    const body = exprs
      .map(
        (e, i) =>
          `  - name: q${i}\n    rules:\n      - record: parse_check_${i}\n        expr: |\n${e.expr
            .split('\n')
            .map((l) => `          ${l}`)
            .join('\n')}\n`,
      )
      .join('');
    writeFileSync(file, `groups:\n${body}`);
    const { status, output } = promtool(['check', 'rules', file]);
    const failed = [...output.matchAll(/group "q(\d+)"/g)].map((m) => exprs[Number(m[1])]?.where);
    expect([status, failed]).toEqual([0, []]);
    expect(output).toContain(`SUCCESS: ${exprs.length} rules found`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('metricNames finds the selected metrics, not functions, labels or keywords', () => {
  expect(
    metricNames(
      'histogram_quantile(0.99, sum by (le, path) (rate(paysync_webhooks_handoff_duration_seconds_bucket{namespace=~"$namespace", le="5"}[$__rate_interval]))) > 5 and on (namespace) up offset 15m unless vector(0)',
    ).sort(),
  ).toEqual(['paysync_webhooks_handoff_duration_seconds_bucket', 'up']);
  expect(metricNames('1 - paysync:webhook_slo:error_ratio_rate30d / 0.001')).toEqual([
    'paysync:webhook_slo:error_ratio_rate30d',
  ]);
});
