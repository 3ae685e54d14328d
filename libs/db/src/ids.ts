const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether `value` is a UUID. Repositories check ids from URLs with it before querying: a `uuid`
 * column refuses other text with an error, and "not a UUID" simply means "not found".
 */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
