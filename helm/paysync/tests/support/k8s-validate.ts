// Offline, strict validation of rendered manifests against the Kubernetes API models: every
// field name must exist in its model (a misspelled `readinesProbe` fails), every value must have
// the model's type, and required fields must be present. Custom resources the chart renders
// (KEDA, Prometheus Operator, Gateway API) are checked against the CRD fields written below.
import type { ModelSchema, SchemaSet } from './tools.js';

/** Fields of the custom resources the chart renders (from their CRDs), in the same notation. */
const CRD_MODELS: SchemaSet = {
  'keda.sh/v1alpha1/ScaledObject': {
    fields: {
      apiVersion: 'string',
      kind: 'string',
      metadata: 'V1ObjectMeta',
      spec: 'KedaScaledObjectSpec',
    },
    required: ['spec'],
  },
  KedaScaledObjectSpec: {
    fields: {
      scaleTargetRef: 'KedaScaleTarget',
      pollingInterval: 'integer',
      cooldownPeriod: 'integer',
      initialCooldownPeriod: 'integer',
      idleReplicaCount: 'integer',
      minReplicaCount: 'integer',
      maxReplicaCount: 'integer',
      fallback: 'any',
      advanced: 'any',
      triggers: 'Array<KedaTrigger>',
    },
    required: ['scaleTargetRef', 'triggers'],
  },
  KedaScaleTarget: {
    fields: {
      name: 'string',
      apiVersion: 'string',
      kind: 'string',
      envSourceContainerName: 'string',
    },
    required: ['name'],
  },
  KedaTrigger: {
    fields: {
      type: 'string',
      name: 'string',
      metadata: '{ [key: string]: string; }',
      authenticationRef: 'KedaAuthRef',
      metricType: 'string',
      useCachedMetrics: 'boolean',
    },
    required: ['type', 'metadata'],
  },
  KedaAuthRef: { fields: { name: 'string', kind: 'string' }, required: ['name'] },
  'keda.sh/v1alpha1/TriggerAuthentication': {
    fields: {
      apiVersion: 'string',
      kind: 'string',
      metadata: 'V1ObjectMeta',
      spec: 'KedaTriggerAuthSpec',
    },
    required: ['spec'],
  },
  KedaTriggerAuthSpec: {
    fields: {
      secretTargetRef: 'Array<KedaSecretTargetRef>',
      env: 'Array<any>',
      podIdentity: 'any',
    },
    required: [],
  },
  KedaSecretTargetRef: {
    fields: { parameter: 'string', name: 'string', key: 'string' },
    required: ['parameter', 'name', 'key'],
  },
  'monitoring.coreos.com/v1/ServiceMonitor': {
    fields: {
      apiVersion: 'string',
      kind: 'string',
      metadata: 'V1ObjectMeta',
      spec: 'PromServiceMonitorSpec',
    },
    required: ['spec'],
  },
  PromServiceMonitorSpec: {
    fields: {
      selector: 'V1LabelSelector',
      endpoints: 'Array<PromEndpoint>',
      namespaceSelector: 'any',
      jobLabel: 'string',
      targetLabels: 'Array<string>',
      podTargetLabels: 'Array<string>',
      sampleLimit: 'integer',
    },
    required: ['selector'],
  },
  PromEndpoint: {
    fields: {
      port: 'string',
      targetPort: 'IntOrString',
      path: 'string',
      scheme: 'string',
      interval: 'string',
      scrapeTimeout: 'string',
      honorLabels: 'boolean',
      relabelings: 'Array<any>',
      metricRelabelings: 'Array<any>',
    },
    required: [],
  },
  'monitoring.coreos.com/v1/PrometheusRule': {
    fields: {
      apiVersion: 'string',
      kind: 'string',
      metadata: 'V1ObjectMeta',
      spec: 'PromRuleSpec',
    },
    required: ['spec'],
  },
  PromRuleSpec: { fields: { groups: 'Array<PromRuleGroup>' }, required: [] },
  PromRuleGroup: {
    fields: {
      name: 'string',
      interval: 'string',
      query_offset: 'string',
      limit: 'integer',
      partial_response_strategy: 'string',
      labels: '{ [key: string]: string; }',
      rules: 'Array<PromRule>',
    },
    required: ['name'],
  },
  PromRule: {
    fields: {
      record: 'string',
      alert: 'string',
      expr: 'IntOrString',
      for: 'string',
      keep_firing_for: 'string',
      labels: '{ [key: string]: string; }',
      annotations: '{ [key: string]: string; }',
    },
    required: ['expr'],
  },
  'gateway.networking.k8s.io/v1/HTTPRoute': {
    fields: {
      apiVersion: 'string',
      kind: 'string',
      metadata: 'V1ObjectMeta',
      spec: 'GwHTTPRouteSpec',
    },
    required: ['spec'],
  },
  GwHTTPRouteSpec: {
    fields: {
      parentRefs: 'Array<GwParentRef>',
      hostnames: 'Array<string>',
      rules: 'Array<GwRule>',
    },
    required: [],
  },
  GwParentRef: {
    fields: {
      group: 'string',
      kind: 'string',
      namespace: 'string',
      name: 'string',
      sectionName: 'string',
      port: 'integer',
    },
    required: ['name'],
  },
  GwRule: {
    fields: {
      name: 'string',
      matches: 'Array<GwMatch>',
      filters: 'Array<any>',
      backendRefs: 'Array<GwBackendRef>',
      timeouts: 'any',
    },
    required: [],
  },
  GwMatch: {
    fields: {
      path: 'GwPathMatch',
      headers: 'Array<any>',
      queryParams: 'Array<any>',
      method: 'string',
    },
    required: [],
  },
  GwPathMatch: { fields: { type: 'string', value: 'string' }, required: [] },
  GwBackendRef: {
    fields: {
      group: 'string',
      kind: 'string',
      name: 'string',
      namespace: 'string',
      port: 'integer',
      weight: 'integer',
      filters: 'Array<any>',
    },
    required: ['name'],
  },
};

/** The model of a top-level object: `apps/v1` + `Deployment` → `V1Deployment`. */
function modelNameOf(apiVersion: string, kind: string): string {
  if (CRD_MODELS[`${apiVersion}/${kind}`]) return `${apiVersion}/${kind}`;
  const version = apiVersion.split('/').at(-1) ?? '';
  return `${version.charAt(0).toUpperCase()}${version.slice(1)}${kind}`;
}

export function validateObject(schemas: SchemaSet, object: Record<string, unknown>): string[] {
  const all = { ...schemas, ...CRD_MODELS };
  const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '';
  const kind = typeof object.kind === 'string' ? object.kind : '';
  const model = modelNameOf(apiVersion, kind);
  if (!all[model]) return [`${kind} (${apiVersion}): no schema for this kind`];
  const errors: string[] = [];
  check(all, object, model, `${kind}`, errors);
  return errors;
}

function check(
  schemas: SchemaSet,
  value: unknown,
  type: string,
  path: string,
  errors: string[],
): void {
  if (value === null || value === undefined) return;
  const array = /^Array<(.+)>$/.exec(type);
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (array?.[1]) {
    if (!Array.isArray(value)) return void errors.push(`${path}: expected an array`);
    value.forEach((item, i) => check(schemas, item, array[1] as string, `${path}[${i}]`, errors));
    return;
  }
  if (map?.[1]) {
    if (typeof value !== 'object' || Array.isArray(value))
      return void errors.push(`${path}: expected a map`);
    for (const [k, v] of Object.entries(value)) check(schemas, v, map[1], `${path}.${k}`, errors);
    return;
  }
  switch (type) {
    case 'any':
    case 'object':
      return;
    case 'string':
    case 'Date':
      if (typeof value !== 'string')
        errors.push(`${path}: expected a string, got ${JSON.stringify(value)}`);
      return;
    case 'number':
      if (typeof value !== 'number')
        errors.push(`${path}: expected a number, got ${JSON.stringify(value)}`);
      return;
    case 'integer':
      if (!Number.isInteger(value))
        errors.push(`${path}: expected an integer, got ${JSON.stringify(value)}`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean')
        errors.push(`${path}: expected a boolean, got ${JSON.stringify(value)}`);
      return;
    case 'IntOrString':
      if (typeof value !== 'string' && !Number.isInteger(value))
        errors.push(`${path}: expected an integer or a string, got ${JSON.stringify(value)}`);
      return;
  }
  const model: ModelSchema | undefined = schemas[type];
  if (!model) return void errors.push(`${path}: unknown type ${type}`);
  if (typeof value !== 'object' || Array.isArray(value))
    return void errors.push(`${path}: expected an object (${type})`);
  const record = value as Record<string, unknown>;
  for (const field of model.required) {
    if (record[field] === undefined) errors.push(`${path}.${field}: required`);
  }
  for (const [field, fieldValue] of Object.entries(record)) {
    const fieldType = model.fields[field];
    if (!fieldType) {
      errors.push(`${path}.${field}: unknown field (not in ${type})`);
      continue;
    }
    check(schemas, fieldValue, fieldType, `${path}.${field}`, errors);
  }
}
