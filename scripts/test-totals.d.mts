export interface LedgerEntry {
  readonly source: string;
  readonly passed: number;
  readonly failed: number;
}
export function ledgerPath(env?: NodeJS.ProcessEnv): string;
export function resetLedger(env?: NodeJS.ProcessEnv): void;
export function recordTotals(
  source: string,
  passed: number,
  failed: number,
  env?: NodeJS.ProcessEnv,
): void;
export function readLedger(env?: NodeJS.ProcessEnv): LedgerEntry[];
export function totalsLine(entries: readonly LedgerEntry[]): string;
