// TypeBox fragments the resource schemas share (the generic ones — Uuid, problems, PageQuery,
// page() — are in ../http/schemas.ts).
import { Type, type TProperties, type TSchema, type TString } from '@sinclair/typebox';

import { PageQuery, Uuid } from '../http/schemas.js';

/** Path parameters of one resource in a workspace: `workspaceId` and the resource's `<name>`. */
export const resourceParams = <K extends string>(name: K) =>
  Type.Object(
    { workspaceId: Uuid, [name]: Uuid } as { workspaceId: TString } & Record<K, TString>,
    {
      additionalProperties: false,
    },
  );

/** The querystring of a paged list: its filters, then `limit` and `cursor`; nothing else. */
export const listQuery = <T extends TProperties>(filters: T) =>
  Type.Object({ ...filters, ...PageQuery }, { additionalProperties: false });

/** A complete (unpaged) list: `{ data: [...] }`. */
export const listOf = <T extends TSchema>(item: T) => Type.Object({ data: Type.Array(item) });
