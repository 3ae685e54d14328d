// `npm run db:diff -- <name>`: writes prisma/migrations/<timestamp>_<name>/migration.sql with the
// SQL that takes the current migrations to prisma/schema.prisma. `--check` instead fails when the
// schema and the migrations differ (CI and a test run it). Dev tool only: Prisma's schema engine
// compiled to WebAssembly (@prisma/schema-engine-wasm, pinned to the engine of our Prisma), driven
// by hand because the CLI wants a native engine that cannot be downloaded here.
//
// The engine replays the migrations into a throwaway shadow database on the local stack and
// diffs that against the schema. Review the generated SQL before committing it.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import pg from 'pg';

import * as bindings from '@prisma/schema-engine-wasm/schema_engine_bg';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const schemaPath = join(root, 'prisma/schema.prisma');
const migrationsDir = join(root, 'prisma/migrations');
const require = createRequire(import.meta.url);

// adapter-pg reads PostgreSQL's internal "char" type (OID 18) in catalog queries and cannot map
// it; text is what it means (prisma/orm issue 27403 family). Local to this tool process.
const CHAR_OID = 18;
const TEXT_OID = 25;
type AddFields = (this: pg.Result, fields: pg.FieldDef[]) => void;
// addFields is internal to pg (absent from its types).
const resultPrototype = pg.Result.prototype as unknown as { addFields: AddFields };
const addFields = resultPrototype.addFields;
resultPrototype.addFields = function (this: pg.Result, fields: pg.FieldDef[]) {
  for (const field of fields) if (field.dataTypeID === CHAR_OID) field.dataTypeID = TEXT_OID;
  addFields.call(this, fields);
};

async function loadEngine(): Promise<typeof bindings> {
  const wasmPath = join(
    dirname(require.resolve('@prisma/schema-engine-wasm')),
    'schema_engine_bg.wasm',
  );
  const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), {
    './schema_engine_bg.js': bindings as unknown as WebAssembly.ModuleImports,
  });
  bindings.__wbg_set_wasm(instance.exports);
  (instance.exports as { __wbindgen_start: () => void }).__wbindgen_start();
  return bindings;
}

function migrationsList() {
  const dirs = readdirSync(migrationsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^\d{14}_/.test(d.name))
    .map((d) => d.name)
    .sort();
  return {
    baseDir: migrationsDir,
    lockfile: {
      path: 'migration_lock.toml',
      content: readFileSync(join(migrationsDir, 'migration_lock.toml'), 'utf8'),
    },
    shadowDbInitScript: '',
    migrationDirectories: dirs.map((name) => ({
      path: name,
      migrationFile: {
        path: 'migration.sql',
        content: {
          tag: 'ok',
          value: readFileSync(join(migrationsDir, name, 'migration.sql'), 'utf8'),
        },
      },
    })),
  };
}

const args = process.argv.slice(2);
const check = args.includes('--check');
const name = args.find((a) => !a.startsWith('--'));
if (!check && (!name || !/^[a-z0-9_]+$/.test(name))) {
  console.error('usage: npm run db:diff -- <snake_case_name> | --check');
  process.exit(2);
}

const port = Number(process.env.PAYSYNC_PG_PORT ?? 55432);
const shadow = `paysync_shadow_${process.pid}`;
const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
await admin.connect();
await admin.query(`CREATE DATABASE "${shadow}"`);
let exitCode = 0;
try {
  const engine = await loadEngine();
  // Discrete settings, not a URL: with a connectionString adapter-pg uses the main database as
  // its shadow database. Its shadow clean-up also drops the database before closing the pool
  // (which PostgreSQL refuses), so the shadow database is ours: created above, closed, then
  // dropped in `finally`.
  const config = { host: '127.0.0.1', port, user: 'postgres', database: shadow };
  const factory = new PrismaPg(config);
  // The engine talks to the adapter through Prisma's Result-wrapping bindings.
  // adapter-pg also splits migration scripts on every ';' (comments, DO blocks and all); send a
  // script as one simple-protocol query instead, which PostgreSQL executes statement by statement.
  const connect = async () => {
    const connection = await factory.connect();
    const driver = connection.underlyingDriver();
    connection.executeScript = async (script: string) => {
      try {
        await driver.query(script);
      } catch (error) {
        (connection as unknown as { onError(e: unknown): never }).onError(error);
      }
    };
    return connection;
  };
  const adapter = bindMigrationAwareSqlAdapterFactory({
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect,
    connectToShadowDb: connect,
  });
  const schema = readFileSync(schemaPath, 'utf8');
  const se = await engine.SchemaEngine.new(
    { datamodels: [[schemaPath, schema]] },
    () => undefined,
    adapter,
  );
  const result = await se.diff({
    from: { tag: 'migrations', ...migrationsList() },
    to: { tag: 'schemaDatamodel', files: [{ path: schemaPath, content: schema }] },
    script: true,
    exitCode: true,
    filters: { externalTables: [], externalEnums: [] },
  } as never);
  const sql = (result as unknown as { stdout?: string }).stdout ?? '';
  if (check) {
    if (result.exitCode === 2) {
      console.error('prisma/schema.prisma and prisma/migrations differ. Missing SQL:\n' + sql);
      exitCode = 1;
    } else {
      console.log('[db:diff] schema and migrations agree');
    }
  } else if (result.exitCode !== 2) {
    console.log('[db:diff] no changes');
  } else {
    const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
    const dir = join(migrationsDir, `${stamp}_${name}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'migration.sql'), sql);
    console.log(`[db:diff] wrote ${dir}/migration.sql: review it before committing`);
  }
} finally {
  await admin.query(`DROP DATABASE IF EXISTS "${shadow}" WITH (FORCE)`);
  await admin.end();
}
process.exit(exitCode);
