import { csv } from '@paysync/config';

/**
 * The provider base URLs a connection may name in `settings.apiBaseUrl` (a simulator, an egress
 * proxy): `API_ALLOWED_PROVIDER_BASE_URLS`. The api checks it when a connection is written and
 * every service checks it again where a client is built (createConnectionProvider), so a row
 * written before the list changed, or by SQL, is never called (issue 15 item 9).
 *
 * An entry is an http(s) origin (`https://proxy.internal:8443`; a path is ignored), or
 * `http(s)://host:*`, any port of that host (for local development and tests, whose simulators
 * listen on free ports).
 */
export class BaseUrlAllowlist {
  readonly #origins: ReadonlySet<string>;
  /** `protocol//hostname` of the `:*` entries. */
  readonly #anyPort: ReadonlySet<string>;

  /** Throws naming the first entry that is neither an http(s) origin nor `http(s)://host:*`. */
  constructor(entries: readonly string[]) {
    const origins = new Set<string>();
    const anyPort = new Set<string>();
    for (const entry of entries) {
      const parsed = parseEntry(entry);
      if (!parsed) {
        throw new TypeError(
          `not an http(s) origin or http(s)://host:* entry: ${JSON.stringify(entry)}`,
        );
      }
      (parsed.anyPort ? anyPort : origins).add(parsed.value);
    }
    this.#origins = origins;
    this.#anyPort = anyPort;
  }

  /** Whether `url` (an absolute http(s) URL) is on the list. */
  allows(url: string): boolean {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return false;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return false;
    return this.#origins.has(u.origin) || this.#anyPort.has(`${u.protocol}//${u.hostname}`);
  }
}

function parseEntry(entry: string): { value: string; anyPort: boolean } | undefined {
  const trimmed = entry.trim();
  const anyPort = /^(https?:\/\/[^/:?#@]+|https?:\/\/\[[0-9a-f:.]+\]):\*\/?$/i.exec(trimmed);
  try {
    if (anyPort) {
      const u = new URL(anyPort[1] as string);
      return { value: `${u.protocol}//${u.hostname}`, anyPort: true };
    }
    const u = new URL(trimmed);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    if (u.username || u.password || u.hostname.includes('*')) return undefined;
    return { value: u.origin, anyPort: false };
  } catch {
    return undefined;
  }
}

/**
 * The origin of `url` for messages (never its path, query or credentials), or a placeholder when
 * it does not parse.
 */
export function describeBaseUrl(url: unknown): string {
  if (typeof url !== 'string') return 'a non-string value';
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : `a ${u.protocol} URL`;
  } catch {
    return 'an invalid URL';
  }
}

/** The config schema of the list: comma-separated entries, each checked at start-up; default none. */
export const baseUrlAllowlistSchema = () =>
  csv()
    .superRefine((entries, ctx) => {
      for (const entry of entries) {
        if (!parseEntry(entry)) {
          ctx.addIssue({
            code: 'custom',
            message: `${JSON.stringify(entry)} is not an http(s) origin (or http(s)://host:* for any port)`,
          });
        }
      }
    })
    .default([]);
