// The Helm chart's checks (issue 13): helm lint --strict, helm template with the default values
// and with the production example, every rendered object validated offline against the
// Kubernetes API schemas (unknown field names fail), and the deployment invariants paysync relies
// on. No cluster needed; helm and the schemas are fetched once into .cache/chart-tools/.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { validateObject } from './support/k8s-validate.js';
import {
  chartDir,
  helm,
  kubernetesSchemas,
  renderChart,
  repoRoot,
  type SchemaSet,
} from './support/tools.js';

type K8sObject = Record<string, unknown> & {
  kind: string;
  apiVersion: string;
  metadata: { name: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
};
interface Container {
  name: string;
  args?: string[];
  ports?: { name: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    runAsNonRoot?: boolean;
    capabilities?: { drop?: string[] };
  };
}
interface PodSpec {
  containers: Container[];
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  terminationGracePeriodSeconds?: number;
  topologySpreadConstraints?: unknown[];
}

const PRODUCTION = join(chartDir, 'values-production.example.yaml');
const SERVICES = ['api', 'ingress', 'processor', 'sync-runner', 'recovery'];
const SECRET_KEYS = ['DATABASE_URL', 'ENCRYPTION_KEYS', 'ADMIN_API_TOKEN', 'KAFKA_SASL_PASSWORD'];
// Secrets given as values, so the chart renders its own Secret: none may leak elsewhere.
const SENTINELS = {
  'secrets.databaseUrl': 'postgresql://paysync:sentinel-db-password@db:5432/paysync',
  'secrets.encryptionKeys': 'k1:c2VudGluZWwtZW5jcnlwdGlvbi1rZXktMzItYnl0ZXMhIQ==',
  'secrets.adminApiToken': 'sentinel-admin-token-0123456789abcdef',
  'secrets.kafkaSaslPassword': 'sentinel-kafka-password',
};
const withSecrets = [
  'secrets.create=true',
  ...Object.entries(SENTINELS).map(([k, v]) => `${k}=${v}`),
];

let schemas: SchemaSet;
const renders: Record<string, K8sObject[]> = {};

beforeAll(() => {
  schemas = kubernetesSchemas();
  renders.default = renderChart([]) as K8sObject[];
  renders.production = renderChart([PRODUCTION]) as K8sObject[];
  renders['production with chart-made secrets'] = renderChart(
    [PRODUCTION],
    [...withSecrets, 'existingSecret='],
  ) as K8sObject[];
  renders['HTTPRoute'] = renderChart(
    [PRODUCTION],
    ['publicHttp.kind=HTTPRoute', 'publicHttp.httpRoute.parentRefs[0].name=public-gateway'],
  ) as K8sObject[];
}, 120_000);

const RENDERS = ['default', 'production', 'production with chart-made secrets', 'HTTPRoute'];
const each = () => RENDERS.map((name) => [name]);
const ofKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const podSpec = (o: K8sObject) => (o.spec as { template: { spec: PodSpec } }).template.spec;
const componentOf = (o: K8sObject) => o.metadata.labels?.['app.kubernetes.io/component'] ?? '';
// The settings every service reads (envFrom), named after the release.
const configMap = (objects: K8sObject[]) =>
  ofKind(objects, 'ConfigMap').find((c) => c.metadata.name === 'paysync') as K8sObject;

describe('helm chart paysync', () => {
  it.each([[4], [3]] as const)(
    'passes helm %i lint --strict and template with the default values and with the production example',
    (major) => {
      for (const args of [[], ['-f', PRODUCTION]]) {
        const lint = helm(['lint', '--strict', chartDir, ...args], major);
        expect({ status: lint.status, out: lint.stdout + lint.stderr }).toMatchObject({
          status: 0,
        });
        const template = helm(['template', 'paysync', chartDir, ...args], major);
        expect({ status: template.status, err: template.stderr }).toMatchObject({ status: 0 });
      }
    },
  );

  it.each(each())('renders only objects valid against the Kubernetes API schemas (%s)', (name) => {
    const objects = renders[name] as K8sObject[];
    expect(objects.length).toBeGreaterThan(20);
    const errors = objects.flatMap((o) => validateObject(schemas, o));
    expect(errors).toEqual([]);
  });

  it('catches a misspelled field name, a wrong type and a missing required field', () => {
    const deployment = structuredClone(
      ofKind(renders.default as K8sObject[], 'Deployment')[0],
    ) as K8sObject;
    const container = podSpec(deployment).containers[0] as unknown as Record<string, unknown>;
    container.readinesProbe = container.readinessProbe;
    delete container.readinessProbe;
    (deployment.spec as Record<string, unknown>).replicas = 'three';
    delete (deployment.spec as Record<string, unknown>).selector;
    const errors = validateObject(schemas, deployment);
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/containers\[0\]\.readinesProbe: unknown field/),
        expect.stringMatching(/spec\.replicas: expected an integer/),
        expect.stringMatching(/spec\.selector: required/),
      ]),
    );
    const keda = structuredClone(
      ofKind(renders.production as K8sObject[], 'ScaledObject')[0],
    ) as K8sObject;
    (keda.spec as Record<string, unknown>).maxReplicas = 3;
    expect(validateObject(schemas, keda)).toEqual([
      expect.stringMatching(/spec\.maxReplicas: unknown field/),
    ]);
  });

  it('rejects values the schema does not know (values.schema.json)', () => {
    const res = helm(['template', 'paysync', chartDir, '--set', 'services.api.prot=3000']);
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/additional properties 'prot' not allowed/);
    const secretInConfig = helm([
      'template',
      'paysync',
      chartDir,
      '--set',
      'config.DATABASE_URL=x',
    ]);
    expect(secretInConfig.status).not.toBe(0);
  });

  it.each(each())(
    'gives every container probes, resources and a locked-down securityContext (%s)',
    (name) => {
      const objects = renders[name] as K8sObject[];
      const workloads = [...ofKind(objects, 'Deployment'), ...ofKind(objects, 'Job')];
      expect(ofKind(objects, 'Deployment').map(componentOf).sort()).toEqual([...SERVICES].sort());
      for (const workload of workloads) {
        const spec = podSpec(workload);
        expect(spec.securityContext?.runAsNonRoot).toBe(true);
        expect(spec.securityContext?.runAsUser).toBeGreaterThan(0);
        for (const c of spec.containers) {
          const where = `${workload.kind}/${workload.metadata.name}/${c.name}`;
          expect({
            where,
            requests:
              c.resources?.requests?.cpu !== undefined && c.resources.requests.memory !== undefined,
          }).toEqual({ where, requests: true });
          expect({ where, limits: c.resources?.limits?.memory !== undefined }).toEqual({
            where,
            limits: true,
          });
          expect({ where, sc: c.securityContext }).toMatchObject({
            where,
            sc: {
              readOnlyRootFilesystem: true,
              allowPrivilegeEscalation: false,
              runAsNonRoot: true,
              capabilities: { drop: ['ALL'] },
            },
          });
          if (workload.kind === 'Deployment') {
            expect({ where, live: c.livenessProbe?.httpGet?.path }).toEqual({
              where,
              live: '/live',
            });
            expect({ where, ready: c.readinessProbe?.httpGet?.path }).toEqual({
              where,
              ready: '/ready',
            });
          }
        }
      }
    },
  );

  it.each(each())(
    'binds every containerPort to its service’s PORT, and probes to METRICS_PORT (%s)',
    (name) => {
      const objects = renders[name] as K8sObject[];
      const config = configMap(objects).data ?? {};
      const metricsPort = Number(config.METRICS_PORT);
      expect(metricsPort).toBeGreaterThan(0);
      // The documented defaults of the services' PORT (docs/configuration.md).
      const documented = /Default ports: (.*)\./.exec(
        readFileSync(join(repoRoot, 'docs/configuration.md'), 'utf8'),
      )?.[1];
      const defaults = Object.fromEntries(
        (documented ?? '').split(', ').map((p) => [p.split(' ')[0], Number(p.split(' ')[1])]),
      );
      for (const deployment of ofKind(objects, 'Deployment')) {
        const service = componentOf(deployment);
        const [c] = podSpec(deployment).containers as [Container];
        const port = Number(c.env?.find((e) => e.name === 'PORT')?.value);
        expect({ service, port }).toEqual({ service, port: defaults[service] });
        expect(c.ports).toEqual([
          { name: 'http', containerPort: port, protocol: 'TCP' },
          { name: 'metrics', containerPort: metricsPort, protocol: 'TCP' },
        ]);
        expect(c.args).toEqual([service]);
        expect(c.livenessProbe?.httpGet?.port).toBe('metrics');
        expect(c.readinessProbe?.httpGet?.port).toBe('metrics');
        const svc = ofKind(objects, 'Service').find((s) => componentOf(s) === service) as K8sObject;
        expect(svc.spec?.ports).toEqual([
          { name: 'http', port, targetPort: 'http', protocol: 'TCP' },
          { name: 'metrics', port: metricsPort, targetPort: 'metrics', protocol: 'TCP' },
        ]);
        const grace = podSpec(deployment).terminationGracePeriodSeconds ?? 30;
        expect(grace * 1000).toBeGreaterThan(Number(config.SHUTDOWN_TIMEOUT_MS));
        expect(podSpec(deployment).topologySpreadConstraints?.length).toBeGreaterThan(0);
      }
      expect(config.KAFKA_CREATE_TOPICS).toBe('false');
    },
  );

  it.each(each())(
    'exposes only /webhooks (ingress) and /api/v1 (api) publicly, never the metrics port (%s)',
    (name) => {
      const objects = renders[name] as K8sObject[];
      const fullname = 'paysync';
      const ingresses = ofKind(objects, 'Ingress');
      const routes = ofKind(objects, 'HTTPRoute');
      expect(ingresses.length + routes.length).toBe(1);
      const exposed = [
        ...ingresses.flatMap((i) =>
          (
            i.spec as {
              rules: {
                http: {
                  paths: {
                    path: string;
                    pathType: string;
                    backend: {
                      service: { name: string; port: { name?: string; number?: number } };
                    };
                  }[];
                };
              }[];
            }
          ).rules.flatMap((r) =>
            r.http.paths.map((p) => ({
              path: p.path,
              type: p.pathType,
              to: p.backend.service.name,
              port: p.backend.service.port.name ?? p.backend.service.port.number,
            })),
          ),
        ),
        ...routes.flatMap((r) =>
          (
            r.spec as {
              rules: {
                matches: { path: { type: string; value: string } }[];
                backendRefs: { name: string; port: number }[];
              }[];
            }
          ).rules.flatMap((rule) =>
            rule.matches.map((m) => ({
              path: m.path.value,
              type: m.path.type,
              to: rule.backendRefs[0]?.name,
              port: rule.backendRefs[0]?.port,
            })),
          ),
        ),
      ];
      const portOf = (service: string) =>
        ingresses.length > 0
          ? 'http'
          : (
              ofKind(objects, 'Service').find((s) => componentOf(s) === service)?.spec?.ports as {
                port: number;
              }[]
            )[0]?.port;
      expect(exposed).toEqual([
        {
          path: '/webhooks',
          type: ingresses.length > 0 ? 'Prefix' : 'PathPrefix',
          to: `${fullname}-ingress`,
          port: portOf('ingress'),
        },
        {
          path: '/api/v1',
          type: ingresses.length > 0 ? 'Prefix' : 'PathPrefix',
          to: `${fullname}-api`,
          port: portOf('api'),
        },
      ]);
    },
  );

  it.each(each())(
    'runs migrate before topics apply, as pre-install/pre-upgrade hooks (%s)',
    (name) => {
      const objects = renders[name] as K8sObject[];
      const hooks = objects.filter((o) => o.metadata.annotations?.['helm.sh/hook']);
      for (const hook of hooks) {
        expect(hook.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
        expect(hook.metadata.annotations?.['helm.sh/hook-delete-policy']).toContain(
          'before-hook-creation',
        );
      }
      const weight = (o: K8sObject) => Number(o.metadata.annotations?.['helm.sh/hook-weight']);
      const jobs = ofKind(hooks, 'Job');
      const job = (args: string[]) =>
        jobs.find(
          (j) => JSON.stringify(podSpec(j).containers[0]?.args) === JSON.stringify(args),
        ) as K8sObject;
      const migrate = job(['migrate']);
      const topics = job(['topics', 'apply']);
      expect(migrate).toBeDefined();
      expect(topics).toBeDefined();
      expect(weight(migrate)).toBeLessThan(weight(topics));
      // What the Jobs read (settings, secrets, service account) exists before them.
      for (const support of hooks.filter((h) => h.kind !== 'Job')) {
        expect(weight(support)).toBeLessThan(weight(migrate));
      }
      // Regular objects are not hooks: Deployments roll only after both Jobs succeeded.
      expect(ofKind(hooks, 'Deployment')).toEqual([]);
    },
  );

  it.each(each())('keeps every secret out of ConfigMaps and plain env values (%s)', (name) => {
    const objects = renders[name] as K8sObject[];
    const sentinels = Object.values(SENTINELS);
    for (const cm of ofKind(objects, 'ConfigMap')) {
      for (const [key, value] of Object.entries(cm.data ?? {})) {
        expect(SECRET_KEYS).not.toContain(key);
        for (const s of sentinels) expect(value).not.toContain(s);
      }
    }
    for (const workload of [...ofKind(objects, 'Deployment'), ...ofKind(objects, 'Job')]) {
      for (const c of podSpec(workload).containers) {
        for (const e of c.env ?? []) {
          if (SECRET_KEYS.includes(e.name))
            expect(e).toEqual({
              name: e.name,
              valueFrom: expect.objectContaining({ secretKeyRef: expect.any(Object) }),
            });
          for (const s of sentinels) expect(e.value ?? '').not.toContain(s);
        }
      }
    }
    const secrets = ofKind(objects, 'Secret');
    if (name === 'production with chart-made secrets') {
      const all = JSON.stringify(secrets);
      for (const s of sentinels) expect(all).toContain(s);
    }
  });

  it('scales consumers with KEDA never above the partitions of their topic', () => {
    const objects = renders.production as K8sObject[];
    const scaled = ofKind(objects, 'ScaledObject');
    expect(scaled.map(componentOf).sort()).toEqual(['processor', 'recovery', 'sync-runner']);
    const hookConfig = ofKind(objects, 'ConfigMap').find(
      (c) => c.metadata.annotations?.['helm.sh/hook'],
    );
    const partitions = Object.fromEntries(
      (hookConfig?.data?.TOPICS_PARTITIONS ?? '')
        .split(',')
        .map((p) => [p.split('=')[0], Number(p.split('=')[1])]),
    );
    for (const so of scaled) {
      const spec = so.spec as {
        maxReplicaCount: number;
        triggers: { metadata: { topic: string } }[];
      };
      const topic = (spec.triggers[0]?.metadata.topic ?? '').replace(/^prod\./, '');
      expect(spec.maxReplicaCount).toBeLessThanOrEqual(partitions[topic] ?? 0);
    }
    // HPA for the HTTP services, and no fixed replica count where an autoscaler owns it.
    expect(ofKind(objects, 'HorizontalPodAutoscaler').map(componentOf).sort()).toEqual([
      'api',
      'ingress',
    ]);
    for (const d of ofKind(objects, 'Deployment')) expect(d.spec?.replicas).toBeUndefined();

    const res = helm([
      'template',
      'paysync',
      chartDir,
      '-f',
      PRODUCTION,
      '--set',
      'services.processor.keda.maxReplicaCount=13',
    ]);
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(
      /maxReplicaCount \(13\) exceeds the 12 partitions of billing\.webhook\.received\.v1/,
    );
  });

  it('has a PodDisruptionBudget, a NetworkPolicy and (when enabled) a ServiceMonitor per service', () => {
    const objects = renders.production as K8sObject[];
    for (const kind of ['PodDisruptionBudget', 'NetworkPolicy', 'ServiceMonitor']) {
      expect({ kind, services: ofKind(objects, kind).map(componentOf).sort() }).toEqual({
        kind,
        services: [...SERVICES].sort(),
      });
    }
    for (const np of ofKind(objects, 'NetworkPolicy')) {
      const spec = np.spec as { ingress: { ports: { port: string }[] }[] };
      const ports = spec.ingress.flatMap((r) => r.ports.map((p) => p.port)).sort();
      const isPublic = ['api', 'ingress'].includes(componentOf(np));
      expect({ np: componentOf(np), ports }).toEqual({
        np: componentOf(np),
        ports: isPublic ? ['http', 'metrics'] : ['metrics'],
      });
    }
    expect(ofKind(renders.default as K8sObject[], 'ServiceMonitor')).toEqual([]);
  });

  it('ships the dashboards and alert rules of observability/ when enabled', () => {
    const dir = join(repoRoot, 'observability');
    const dashboards = readdirSync(join(dir, 'dashboards')).filter((f) => f.endsWith('.json'));
    const rules = readdirSync(join(dir, 'rules')).filter((f) => f.endsWith('.rules.yaml'));
    const objects = renders.production as K8sObject[];
    const shipped = Object.fromEntries(
      ofKind(objects, 'ConfigMap')
        .filter((c) => c.metadata.labels?.grafana_dashboard === '1')
        .flatMap((c) => Object.entries(c.data ?? {})),
    );
    expect(Object.keys(shipped).sort()).toEqual(dashboards.sort());
    for (const file of dashboards) {
      expect(shipped[file]).toBe(readFileSync(join(dir, 'dashboards', file), 'utf8'));
    }
    const promRules = ofKind(objects, 'PrometheusRule');
    expect(promRules).toHaveLength(rules.length);
    for (const rule of promRules) {
      expect((rule.spec as { groups: unknown[] }).groups.length).toBeGreaterThan(0);
    }
    expect(ofKind(renders.default as K8sObject[], 'PrometheusRule')).toEqual([]);
  });
});

describe('helm chart paysync: trusted proxies and alert wiring (issues 13/14 follow-ups)', () => {
  it('renders API_/INGRESS_TRUST_PROXY only when set, as the comma-separated list the services parse, and refuses true', () => {
    const unset = configMap(renders.default as K8sObject[]).data ?? {};
    expect(Object.keys(unset).filter((k) => k.endsWith('_TRUST_PROXY'))).toEqual([]);

    const set = configMap(
      renderChart(
        [],
        [
          'services.ingress.trustProxy={10.0.0.0/8,fd00::/8}',
          'services.api.trustProxy={192.168.1.10}',
        ],
      ) as K8sObject[],
    ).data;
    expect(set).toMatchObject({
      INGRESS_TRUST_PROXY: '10.0.0.0/8,fd00::/8',
      API_TRUST_PROXY: '192.168.1.10',
    });

    for (const bad of ['services.api.trustProxy=true', 'services.ingress.trustProxy={all}']) {
      const res = helm(['template', 'paysync', chartDir, '--set', bad]);
      expect({ bad, status: res.status }).toEqual({ bad, status: 1 });
      expect(res.stderr).toMatch(/trustProxy/);
    }
  });

  it('runs the migrate Job as the table owner and grants the services their role when asked (row-level security); services keep DATABASE_URL', () => {
    type Env = NonNullable<Container['env']>;
    const jobEnv = (objects: K8sObject[], args: string[]): Env => {
      const job = ofKind(objects, 'Job').find(
        (j) => JSON.stringify(podSpec(j).containers[0]?.args) === JSON.stringify(args),
      ) as K8sObject;
      return podSpec(job).containers[0]?.env ?? [];
    };
    const keyOf = (env: Env, name: string) =>
      (env.find((e) => e.name === name)?.valueFrom as { secretKeyRef?: { key: string } })
        ?.secretKeyRef?.key;

    // Default: one URL for both, no grant.
    const plain = jobEnv(renders.default as K8sObject[], ['migrate']);
    expect(keyOf(plain, 'DATABASE_URL')).toBe('DATABASE_URL');
    expect(plain.map((e) => e.name)).not.toContain('DATABASE_APP_ROLE');

    const split = renderChart(
      [],
      [
        ...withSecrets,
        'secrets.databaseMigrationUrl=postgresql://owner:sentinel-owner-password@db/paysync',
        'migrations.ownerUrlSecretKey=DATABASE_MIGRATION_URL',
        'migrations.appRole=paysync_app',
      ],
    ) as K8sObject[];
    const migrate = jobEnv(split, ['migrate']);
    expect(keyOf(migrate, 'DATABASE_URL')).toBe('DATABASE_MIGRATION_URL');
    expect(migrate.find((e) => e.name === 'DATABASE_APP_ROLE')?.value).toBe('paysync_app');
    expect(keyOf(jobEnv(split, ['topics', 'apply']), 'DATABASE_URL')).toBe('DATABASE_URL');
    for (const deployment of ofKind(split, 'Deployment')) {
      expect(keyOf(podSpec(deployment).containers[0]?.env ?? [], 'DATABASE_URL')).toBe(
        'DATABASE_URL',
      );
    }
    // The owner's password is only in the hooks' Secret.
    expect(
      split.filter((o) => JSON.stringify(o).includes('sentinel-owner-password')).map((o) => o.kind),
    ).toEqual(['Secret']);

    const missing = helm([
      'template',
      'paysync',
      chartDir,
      ...[...withSecrets, 'migrations.ownerUrlSecretKey=DATABASE_MIGRATION_URL'].flatMap((s) => [
        '--set',
        s,
      ]),
    ]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/databaseMigrationUrl/);
  });

  interface AlertRule {
    alert?: string;
    record?: string;
    expr: string;
    annotations?: Record<string, string>;
  }
  const alertRules = (objects: K8sObject[]) =>
    ofKind(objects, 'PrometheusRule').flatMap((r) =>
      (r.spec as { groups: { rules: AlertRule[] }[] }).groups.flatMap((g) => g.rules),
    );
  const serviceDownJobs = (rules: AlertRule[]) => {
    const expr = rules.find((r) => r.alert === 'PaysyncServiceDown')?.expr ?? '';
    return new RegExp(`^(?:${/job=~"([^"]*)"/.exec(expr)?.[1] ?? 'no job matcher'})$`);
  };

  it('prefixes every runbook link with prometheusRules.runbookBaseUrl (the plain rules file keeps repository paths)', () => {
    const plain = readFileSync(join(repoRoot, 'observability/rules/paysync.rules.yaml'), 'utf8');
    const alertsInFile = [...plain.matchAll(/^\s*- alert: (\S+)/gm)].length;
    for (const [base, set] of [
      ['https://github.com/example/paysync/blob/main', []],
      [
        'https://docs.example.org/paysync/v1',
        ['prometheusRules.runbookBaseUrl=https://docs.example.org/paysync/v1/'],
      ],
    ] as const) {
      const rules = alertRules(
        (set.length === 0
          ? renders.production
          : renderChart([PRODUCTION], [...set])) as K8sObject[],
      ).filter((r) => r.alert);
      expect(rules).toHaveLength(alertsInFile);
      // Everything else ships unchanged, e.g. the annotations' {{ $labels }} templates.
      expect(rules.find((r) => r.alert === 'PaysyncServiceDown')?.annotations?.summary).toBe(
        'A paysync target is down: {{ $labels.job }} {{ $labels.instance }}',
      );
      for (const r of rules) {
        expect({ alert: r.alert, url: r.annotations?.runbook_url }).toEqual({
          alert: r.alert,
          url: expect.stringMatching(
            new RegExp(`^${base.replace(/[.]/g, '\\.')}/docs/observability\\.md#[a-z-]+$`),
          ),
        });
      }
    }
    const bad = helm([
      'template',
      'paysync',
      chartDir,
      '--set',
      'prometheusRules.enabled=true',
      '--set',
      'prometheusRules.runbookBaseUrl=docs',
    ]);
    expect(bad.status).not.toBe(0);
  });

  it("points PaysyncServiceDown at the jobs this release's ServiceMonitors give (the Services' names), whatever the release is called", () => {
    for (const set of [[], ['fullnameOverride=billing'], ['nameOverride=sync']]) {
      const objects = set.length === 0 ? renders.production : renderChart([PRODUCTION], set);
      const jobs = serviceDownJobs(alertRules(objects as K8sObject[]));
      const services = ofKind(objects as K8sObject[], 'Service').map((s) => s.metadata.name);
      expect(services).toHaveLength(SERVICES.length);
      // The Prometheus Operator names a ServiceMonitor's job after the Service it scrapes.
      for (const s of services) expect({ set, s, up: jobs.test(s) }).toEqual({ set, s, up: true });
      expect(jobs.test('node-exporter')).toBe(false);
      expect(jobs.test('other-release-paysync-api')).toBe(false);
    }
    const custom = serviceDownJobs(
      alertRules(
        renderChart(
          [PRODUCTION],
          ['prometheusRules.serviceJobRegex=kubernetes-pods'],
        ) as K8sObject[],
      ),
    );
    expect(custom.test('kubernetes-pods')).toBe(true);
    // The job-independent alert ships too.
    expect(alertRules(renders.production as K8sObject[]).map((r) => r.alert)).toContain(
      'PaysyncServiceAbsent',
    );
  });
});
