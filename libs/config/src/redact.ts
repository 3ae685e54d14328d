import type { EnvSchema } from './env.js';

/** What replaces a secret in logs, config dumps and error messages. */
export const REDACTED = '[redacted]';

// scheme://userinfo@ — the userinfo runs to the LAST `@` of the authority (greedy, stopped by the
// path, query, fragment or whitespace), which is how WHATWG URL parses an unencoded `@` in a
// password. Leaving anything after the first `@` would leak the rest of such a password.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#]*)@/gi;

// Query parameters that carry credentials (libpq accepts `?password=`; many services take
// `?token=`/`?api_key=`). The names are matched case-insensitively.
const CREDENTIAL_PARAM =
  /([?&;](?:password|passwd|pwd|pass|sslpassword|secret|client_secret|token|access_token|api_?key|apikey|key)=)[^&;#\s"']*/gi;

/** Below this length a token split out of a secret is not redacted on its own (e.g. key ids). */
const MIN_TOKEN_LENGTH = 8;
/**
 * Shorter secret values are not searched for in free text (they would match ordinary words); they
 * are still redacted in the config log and inside URLs.
 */
const MIN_SECRET_LENGTH = 4;

/**
 * Redacts the credentials of every URL in `text`: the password of `user:password@` (the user stays:
 * it names the database role, and says which account to look at), a lone `user@` as a whole (it is
 * often the credential itself, as in `https://sk_live_…@api.stripe.com`), and credential query
 * parameters (`?password=`, `?token=`, …). Text without URLs comes back unchanged.
 */
export function redactUrlCredentials(text: string): string {
  return text
    .replace(URL_USERINFO, (_match, scheme: string, userinfo: string) => {
      const colon = userinfo.indexOf(':');
      return colon >= 0
        ? `${scheme}${userinfo.slice(0, colon)}:${REDACTED}@`
        : `${scheme}${REDACTED}@`;
    })
    .replace(CREDENTIAL_PARAM, (_match, name: string) => `${name}${REDACTED}`);
}

/**
 * Replaces every occurrence of each secret in `text` (longest first, so a secret containing
 * another is not half-redacted), then the credentials of any URL (see {@link redactUrlCredentials}).
 */
export function redactText(text: string, secrets: Iterable<string>): string {
  let out = text;
  const ordered = [...new Set(secrets)].filter((s) => s.length > 0);
  ordered.sort((a, b) => b.length - a.length);
  for (const value of ordered) out = out.split(value).join(REDACTED);
  return redactUrlCredentials(out);
}

/**
 * The strings to redact for one secret value: the value itself, and its list items and
 * `id:value` parts long enough to be secret on their own (so `ENCRYPTION_KEYS=k1:<key>,k2:<key>`
 * yields each key, and an error naming one part of the value still redacts it).
 */
export function secretTokens(raw: string): string[] {
  const tokens = new Set<string>();
  const value = raw.trim();
  if (value.length >= MIN_SECRET_LENGTH) tokens.add(value);
  for (const item of value.split(/[,\s]+/)) {
    const parts = [item, ...item.split(':')];
    for (const part of parts) if (part.length >= MIN_TOKEN_LENGTH) tokens.add(part);
  }
  return [...tokens];
}

/**
 * The password of a URL's userinfo, raw and decoded; none if `value` is no URL. A lone user name is
 * left to {@link redactUrlCredentials} (which redacts it inside URLs): as a free-text token it is
 * usually a role name such as `postgres`, and redacting every occurrence would garble messages.
 */
function urlPasswords(value: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(value.trim());
  } catch {
    return [];
  }
  if (parsed.password === '') return [];
  const out = new Set([parsed.password]);
  try {
    out.add(decodeURIComponent(parsed.password));
  } catch {
    // Malformed percent-encoding: the raw form is all a message could contain.
  }
  return [...out].filter((p) => p.length >= MIN_SECRET_LENGTH);
}

/**
 * Every secret string one service was started with, read from the raw environment: the value of
 * each variable marked secret (with {@link secretTokens}) and the credentials of every URL-valued
 * variable (e.g. the password in `DATABASE_URL`). `redactText(message, secretValues(schema, env))`
 * makes any message safe to print, even one a library built from a connection string.
 */
export function secretValues(schema: EnvSchema, env: NodeJS.ProcessEnv): string[] {
  const out = new Set<string>();
  for (const group of Object.values(schema)) {
    for (const variable of Object.values(group)) {
      const raw = env[variable.env];
      if (raw === undefined || raw.trim() === '') continue;
      if (variable.secret) for (const token of secretTokens(raw)) out.add(token);
      for (const item of raw.split(',')) for (const cred of urlPasswords(item)) out.add(cred);
    }
  }
  return [...out];
}

/** A config value made safe to log: URL credentials redacted in strings and lists of strings. */
export function redactValue(value: unknown): unknown {
  if (typeof value === 'string') return redactUrlCredentials(value);
  if (Array.isArray(value))
    return value.map((item: unknown) =>
      typeof item === 'string' ? redactUrlCredentials(item) : item,
    );
  return value;
}
