import { isIP } from 'node:net';

import { z } from 'zod';

/** TCP port 1–65535 (0 allowed: tests ask the OS for a free port). */
export const port = () => z.coerce.number().int().min(0).max(65535);

export const positiveInt = () => z.coerce.number().int().positive();

export const nonNegativeInt = () => z.coerce.number().int().nonnegative();

/** `true/false/1/0/yes/no`, case-insensitive. */
export const bool = () =>
  z
    .string()
    .trim()
    .toLowerCase()
    .refine((v) => ['true', 'false', '1', '0', 'yes', 'no'].includes(v), {
      message: 'must be true or false',
    })
    .transform((v) => ['true', '1', 'yes'].includes(v));

/** Comma-separated list, trimmed, empty items dropped; at least one item. */
export const csv = () =>
  z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
    )
    .refine((items) => items.length > 0, { message: 'must list at least one value' });

/** An absolute URL whose protocol is one of `protocols`. */
export const url = (protocols: readonly string[]) =>
  z
    .string()
    .trim()
    .refine(
      (v) => {
        try {
          return protocols.includes(new URL(v).protocol.replace(/:$/, ''));
        } catch {
          return false;
        }
      },
      { message: `must be a ${protocols.join(' or ')} URL` },
    );

export const logLevel = () =>
  z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** Whether `entry` is an IPv4/IPv6 address or a CIDR range (`10.0.0.0/8`, `2001:db8::/32`). */
export function isAddressOrCidr(entry: string): boolean {
  const [address = '', bits, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (bits === undefined) return true;
  const prefix = Number(bits);
  return /^\d{1,3}$/.test(bits) && prefix <= (family === 4 ? 32 : 128);
}

/** Comma-separated IPv4/IPv6 addresses and CIDR ranges; every entry is checked. */
export const addressList = () =>
  csv().superRefine((items, ctx) => {
    const bad = items.filter((item) => !isAddressOrCidr(item));
    if (bad.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `not an IPv4/IPv6 address or CIDR: ${bad.join(', ')}`,
      });
    }
  });

/**
 * Which proxies may set the client address through `X-Forwarded-For` (Fastify's `trustProxy`):
 * `false` (none: the client is the TCP peer) or the proxies' addresses/CIDRs. `true` is refused:
 * it trusts every hop, so any caller picks its own address by sending the header (issue 15 item
 * 3). A hop count is refused too: it cannot tell a proxy from a client connecting directly, and
 * Fastify 5.12.8 treats one as "trust nothing".
 */
export const trustedProxies = () =>
  z
    .string()
    .trim()
    .transform((value, ctx): false | string[] => {
      const lower = value.toLowerCase();
      if (['false', '0', 'no', 'none'].includes(lower)) return false;
      if (['true', 'yes', 'all'].includes(lower) || /^\d+$/.test(value)) {
        ctx.addIssue({
          code: 'custom',
          message: `${value} would trust ${/^\d+$/.test(value) ? 'hops by count, whoever sent them' : 'every hop'} (any caller could choose its address): list the proxies’ addresses/CIDRs (e.g. the load balancer subnet)`,
        });
        return z.NEVER;
      }
      const items = value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
      const bad = items.filter((item) => !isAddressOrCidr(item));
      if (items.length === 0 || bad.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `must be false or IPv4/IPv6 addresses and CIDRs (bad: ${bad.join(', ')})`,
        });
        return z.NEVER;
      }
      return items;
    });
