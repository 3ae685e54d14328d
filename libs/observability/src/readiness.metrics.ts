import { Gauge, type Registry } from 'prom-client';

import type { ReadinessCheck } from './health.plugin.js';

/** A scrape within this long of the previous one reuses its answer. */
const CACHE_MS = 5000;

/**
 * `paysync_ready{check,required}`: 1 while a dependency check passes, 0 while it fails, evaluated
 * at scrape time with the same checks as `GET /ready` (each bounded by `timeoutMs`). Alerts and
 * dashboards see "not ready" without calling the probe: `min by (service) (paysync_ready{required="true"})`.
 */
export function registerReadinessGauge(
  registry: Registry,
  checks: readonly ReadinessCheck[],
  timeoutMs = 2000,
): Gauge<'check' | 'required'> {
  let last = 0;
  let pending: Promise<void> | undefined;
  const gauge: Gauge<'check' | 'required'> = new Gauge({
    name: 'paysync_ready',
    help: 'Readiness per dependency check (1 ok, 0 failing), as GET /ready sees it',
    labelNames: ['check', 'required'],
    registers: [registry],
    collect() {
      if (Date.now() - last < CACHE_MS) return undefined;
      pending ??= Promise.all(
        checks.map(async (readiness) => {
          const { name } = readiness;
          // required=false: reported on /ready but the pod stays ready (e.g. ingress without Kafka).
          const required = String((readiness as { required?: boolean }).required ?? true);
          let timer: NodeJS.Timeout | undefined;
          const ok = await Promise.race([
            readiness.check().then(() => 1),
            new Promise<number>((resolve) => {
              timer = setTimeout(() => resolve(0), timeoutMs);
            }),
          ])
            .catch(() => 0)
            .finally(() => clearTimeout(timer));
          gauge.set({ check: name, required }, ok);
        }),
      ).then(() => {
        last = Date.now();
        pending = undefined;
      });
      return pending;
    },
  });
  return gauge;
}
