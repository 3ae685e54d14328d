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
