#!/usr/bin/env node
// Local infrastructure without Docker: Apache Kafka (KRaft, single node, from Maven Central jars)
// and a project-local PostgreSQL 15 cluster. Both bind 127.0.0.1 only.
//
//   node scripts/stack/stack.mjs up       # idempotent: a second call finds it running
//   node scripts/stack/stack.mjs down     # stops only what `up` started, by pid
//   node scripts/stack/stack.mjs status
//   node scripts/stack/stack.mjs prune-test-topics   # delete topics test runs left behind
//
// Jars are cached in <repo>/.cache (git-ignored). Runtime state (data, logs, pids) lives in
// $PAYSYNC_STACK_DIR, default <tmp>/paysync-stack-<hash of repo path>: PostgreSQL refuses to run as
// root, and the `postgres` user may not be able to enter a checkout under a 0700 temp folder.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { stackConfig } from './stack-config.mjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cfg = stackConfig(process.env);
const stateDir =
  process.env.PAYSYNC_STACK_DIR ??
  join(tmpdir(), `paysync-stack-${createHash('sha1').update(repoRoot).digest('hex').slice(0, 10)}`);
const kafkaLibs = join(repoRoot, '.cache', 'kafka', `libs-${cfg.kafkaVersion}`);
const pgBin = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
const isRoot = process.getuid?.() === 0;

const paths = {
  pgDir: join(stateDir, 'pg'),
  pgData: join(stateDir, 'pg', 'data'),
  pgLog: join(stateDir, 'pg', 'postgres.log'),
  kafkaDir: join(stateDir, 'kafka'),
  kafkaData: join(stateDir, 'kafka', 'data'),
  kafkaLog: join(stateDir, 'kafka', 'kafka.log'),
  kafkaPid: join(stateDir, 'kafka', 'kafka.pid'),
  kafkaProps: join(stateDir, 'kafka', 'server.properties'),
  kafkaLog4j: join(stateDir, 'kafka', 'log4j2.yaml'),
};

const log = (msg) => process.stdout.write(`[stack] ${msg}\n`);

function fail(msg, logFile) {
  process.stderr.write(`[stack] ERROR: ${msg}\n`);
  if (logFile && existsSync(logFile)) {
    const lines = readFileSync(logFile, 'utf8').trimEnd().split('\n');
    process.stderr.write(`[stack] last lines of ${logFile}:\n${lines.slice(-40).join('\n')}\n`);
  }
  process.exit(1);
}

function run(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (res.error) throw res.error;
  return res;
}

/** Runs a PostgreSQL binary, as the `postgres` user when we are root (PostgreSQL refuses root). */
function pgRun(bin, args) {
  const full = join(pgBin, bin);
  if (!isRoot) return run(full, args);
  const quoted = [full, ...args].map((a) => `'${String(a).replaceAll("'", "'\\''")}'`).join(' ');
  return run('su', ['postgres', '-s', '/bin/bash', '-c', quoted]);
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function portOpen(port) {
  return new Promise((resolvePort) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolvePort(true);
    });
    socket.once('error', () => resolvePort(false));
  });
}

async function waitFor(what, check, { timeoutMs, logFile }) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  fail(
    `${what} not ready after ${timeoutMs / 1000}s${lastError ? `: ${lastError.message}` : ''}`,
    logFile,
  );
}

// ---------------------------------------------------------------- PostgreSQL

function pgPid() {
  const pidFile = join(paths.pgData, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && isAlive(pid) ? pid : undefined;
}

async function pgQuery(sql, database = 'postgres') {
  const { default: pg } = await import('pg');
  const client = new pg.Client({
    host: '127.0.0.1',
    port: cfg.pgPort,
    user: 'postgres',
    database,
    connectionTimeoutMillis: 2000,
  });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

async function pgUp() {
  if (!existsSync(join(pgBin, 'pg_ctl'))) {
    fail(`PostgreSQL binaries not found in ${pgBin} (install postgresql-15 or set PG_BIN)`);
  }
  const running = pgPid();
  if (running) {
    log(`postgres already running (pid ${running}, port ${cfg.pgPort})`);
  } else {
    if (await portOpen(cfg.pgPort)) {
      fail(
        `port ${cfg.pgPort} is taken by a process this stack did not start (set PAYSYNC_PG_PORT)`,
      );
    }
    mkdirSync(paths.pgDir, { recursive: true });
    if (isRoot) {
      const { uid, gid } = pgUser();
      chownSync(stateDir, uid, gid);
      chownSync(paths.pgDir, uid, gid);
    }
    if (!existsSync(join(paths.pgData, 'PG_VERSION'))) {
      log(`initdb ${paths.pgData}`);
      const res = pgRun('initdb', [
        '-D',
        paths.pgData,
        '-U',
        'postgres',
        '--auth=trust',
        '-E',
        'UTF8',
      ]);
      if (res.status !== 0) fail(`initdb failed:\n${res.stdout}\n${res.stderr}`);
    }
    const options = [
      `-p ${cfg.pgPort}`,
      `-k ${paths.pgDir}`,
      '-c listen_addresses=127.0.0.1',
      '-c max_connections=300',
      // Test and dev speed: durability of this throwaway cluster does not matter.
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
    ].join(' ');
    log(`starting postgres on 127.0.0.1:${cfg.pgPort}`);
    const res = pgRun('pg_ctl', [
      '-D',
      paths.pgData,
      '-o',
      options,
      '-l',
      paths.pgLog,
      '-w',
      '-t',
      '60',
      'start',
    ]);
    if (res.status !== 0) fail(`pg_ctl start failed:\n${res.stdout}\n${res.stderr}`, paths.pgLog);
  }
  await waitFor('postgres', async () => (await pgQuery('SELECT 1 AS ok')).rows[0].ok === 1, {
    timeoutMs: 60_000,
    logFile: paths.pgLog,
  });
  const exists = await pgQuery(`SELECT 1 FROM pg_database WHERE datname = '${cfg.pgDatabase}'`);
  if (exists.rowCount === 0) {
    await pgQuery(`CREATE DATABASE "${cfg.pgDatabase}"`);
    log(`created database ${cfg.pgDatabase}`);
  }
  await ensureAppRole();
}

/**
 * The services' login role (cluster-wide; `migrate` with DATABASE_APP_ROLE joins it to
 * paysync_runtime in each database): created once, never a superuser, owner or BYPASSRLS.
 */
async function ensureAppRole() {
  const role = cfg.appRole.replaceAll('"', '""');
  const password = cfg.appPassword.replaceAll("'", "''");
  const exists = await pgQuery(
    `SELECT 1 FROM pg_roles WHERE rolname = '${cfg.appRole.replaceAll("'", "''")}'`,
  );
  if (exists.rowCount === 0) {
    await pgQuery(
      `CREATE ROLE "${role}" LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD '${password}'`,
    ).catch((err) => {
      // Two stack:up calls at once: the other one created it.
      if (!/already exists/.test(String(err?.message))) throw err;
    });
    log(`created login role ${cfg.appRole}`);
  }
}

function pgUser() {
  const res = run('id', ['-u', 'postgres']);
  const gidRes = run('id', ['-g', 'postgres']);
  if (res.status !== 0) fail('running as root needs a `postgres` user to own the cluster');
  return { uid: Number(res.stdout.trim()), gid: Number(gidRes.stdout.trim()) };
}

function pgDown() {
  const pid = pgPid();
  if (!pid) {
    log('postgres not running');
    return;
  }
  const res = pgRun('pg_ctl', ['-D', paths.pgData, '-m', 'fast', '-w', '-t', '60', 'stop']);
  if (res.status !== 0) fail(`pg_ctl stop failed:\n${res.stdout}\n${res.stderr}`, paths.pgLog);
  log(`postgres stopped (pid ${pid})`);
}

// ---------------------------------------------------------------- Kafka

function ensureKafkaJars() {
  if (existsSync(join(kafkaLibs, '.complete'))) return;
  log(`fetching Apache Kafka ${cfg.kafkaVersion} jars from Maven Central into ${kafkaLibs}`);
  const tmp = `${kafkaLibs}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const res = run(
    'mvn',
    [
      '-q',
      '-B',
      '-f',
      join(repoRoot, 'scripts/stack/kafka/pom.xml'),
      `-Dkafka.version=${cfg.kafkaVersion}`,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${tmp}`,
      '-DincludeScope=runtime',
    ],
    { stdio: 'inherit' },
  );
  if (res.status !== 0)
    fail('mvn dependency:copy-dependencies failed (is Maven Central reachable?)');
  if (!readdirSync(tmp).some((f) => f.startsWith(`kafka_2.13-${cfg.kafkaVersion}`))) {
    fail(`kafka_2.13-${cfg.kafkaVersion}.jar missing after download`);
  }
  writeFileSync(join(tmp, '.complete'), new Date().toISOString());
  rmSync(kafkaLibs, { recursive: true, force: true });
  mkdirSync(dirname(kafkaLibs), { recursive: true });
  renameSync(tmp, kafkaLibs);
}

function kafkaPid() {
  if (!existsSync(paths.kafkaPid)) return undefined;
  const pid = Number(readFileSync(paths.kafkaPid, 'utf8').trim());
  return Number.isInteger(pid) && isAlive(pid) ? pid : undefined;
}

function writeKafkaConfig() {
  mkdirSync(paths.kafkaDir, { recursive: true });
  const props = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.bootstrap.servers': `127.0.0.1:${cfg.kafkaControllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${cfg.kafkaPort},CONTROLLER://127.0.0.1:${cfg.kafkaControllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${cfg.kafkaPort}`,
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': paths.kafkaData,
    'num.partitions': '3',
    // One node: the internal topics cannot have the default replication factor of 3, or consumer
    // groups never find their coordinator (kafkajs issue 1752).
    'offsets.topic.replication.factor': '1',
    'offsets.topic.num.partitions': '10',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
    'group.initial.rebalance.delay.ms': '0',
    // Topics come from the catalogue in @paysync/kafka, never from a typo in a producer.
    'auto.create.topics.enable': 'false',
    'log.retention.hours': '168',
  };
  writeFileSync(
    paths.kafkaProps,
    Object.entries(props)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n',
  );
  writeFileSync(
    paths.kafkaLog4j,
    [
      'Configuration:',
      '  Appenders:',
      '    Console:',
      '      name: STDOUT',
      '      PatternLayout:',
      '        pattern: "[%d] %p %m (%c)%n"',
      '  Loggers:',
      '    Root:',
      '      level: WARN',
      '      AppenderRef:',
      '        - ref: STDOUT',
      '    Logger:',
      '      - name: kafka.server.KafkaRaftServer',
      '        level: INFO',
      '',
    ].join('\n'),
  );
}

function java(mainClass, args, opts = {}) {
  return [
    '-Xms256m',
    `-Xmx${cfg.kafkaHeap}`,
    '-XX:+UseG1GC',
    `-Dlog4j2.configurationFile=${paths.kafkaLog4j}`,
    '-cp',
    `${kafkaLibs}/*`,
    mainClass,
    ...args,
  ].concat(opts.extra ?? []);
}

async function kafkaMetadataOk() {
  const { Kafka, logLevel } = (await import('kafkajs')).default;
  const admin = new Kafka({
    clientId: 'paysync-stack',
    brokers: [`127.0.0.1:${cfg.kafkaPort}`],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 2000,
  }).admin();
  await admin.connect();
  try {
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } finally {
    await admin.disconnect();
  }
}

async function kafkaUp() {
  const running = kafkaPid();
  if (running) {
    log(`kafka already running (pid ${running}, port ${cfg.kafkaPort})`);
  } else {
    if ((await portOpen(cfg.kafkaPort)) || (await portOpen(cfg.kafkaControllerPort))) {
      fail(
        `port ${cfg.kafkaPort} or ${cfg.kafkaControllerPort} is taken by a process this stack did not start (set PAYSYNC_KAFKA_PORT)`,
      );
    }
    ensureKafkaJars();
    writeKafkaConfig();
    if (!existsSync(join(paths.kafkaData, 'meta.properties'))) {
      const clusterId = randomBytes(16).toString('base64url');
      log(`formatting kafka storage (cluster ${clusterId})`);
      const res = run(
        'java',
        java('kafka.tools.StorageTool', [
          'format',
          `--cluster-id=${clusterId}`,
          '-c',
          paths.kafkaProps,
          '--standalone',
        ]),
      );
      if (res.status !== 0) fail(`kafka storage format failed:\n${res.stdout}\n${res.stderr}`);
    }
    log(`starting kafka ${cfg.kafkaVersion} on 127.0.0.1:${cfg.kafkaPort}`);
    const out = openSync(paths.kafkaLog, 'a');
    const child = spawn('java', java('kafka.Kafka', [paths.kafkaProps]), {
      detached: true,
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    writeFileSync(paths.kafkaPid, String(child.pid));
    child.unref();
  }
  await waitFor(
    'kafka',
    async () => {
      if (!kafkaPid()) fail('kafka exited during startup', paths.kafkaLog);
      return kafkaMetadataOk();
    },
    { timeoutMs: 120_000, logFile: paths.kafkaLog },
  );
}

async function kafkaDown() {
  const pid = kafkaPid();
  if (!pid) {
    log('kafka not running');
    rmSync(paths.kafkaPid, { force: true });
    return;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  if (isAlive(pid)) {
    log(`kafka (pid ${pid}) ignored SIGTERM for 30s, sending SIGKILL`);
    process.kill(pid, 'SIGKILL');
  }
  rmSync(paths.kafkaPid, { force: true });
  log(`kafka stopped (pid ${pid})`);
}

/** A broker crash (SIGKILL, no clean shutdown), for fault tests. */
async function kafkaKill() {
  const pid = kafkaPid();
  if (!pid) return log('kafka not running');
  process.kill(pid, 'SIGKILL');
  while (isAlive(pid)) await new Promise((r) => setTimeout(r, 50));
  rmSync(paths.kafkaPid, { force: true });
  log(`kafka killed (pid ${pid})`);
}

// ---------------------------------------------------------------- commands

async function status() {
  const pg = pgPid();
  const kafka = kafkaPid();
  log(`state dir: ${stateDir}`);
  log(
    `postgres: ${pg ? `running, pid ${pg}` : 'stopped'} (127.0.0.1:${cfg.pgPort}, log ${paths.pgLog})`,
  );
  log(
    `kafka:    ${kafka ? `running, pid ${kafka}` : 'stopped'} (127.0.0.1:${cfg.kafkaPort}, log ${paths.kafkaLog})`,
  );
  log(`DATABASE_URL=${cfg.databaseUrl}`);
  log(`DATABASE_APP_URL=${cfg.appDatabaseUrl.replace(/:[^:@/]*@/, ':***@')} (services)`);
  log(`KAFKA_BROKERS=${cfg.kafkaBrokers}`);
  return Boolean(pg && kafka);
}

/**
 * Deletes the topics test runs left behind (every topic with a prefix: `e2e-….billing.…`,
 * `api-…`, `bench-…`; unprefixed `billing.*` topics and Kafka's own `__*` stay). A broker restart
 * loads every partition it holds, and thousands of leftover partitions made the outage tests'
 * restarted broker take minutes to lead them all again.
 */
async function pruneTestTopics() {
  const { Kafka, logLevel } = await import('kafkajs');
  const admin = new Kafka({
    clientId: 'paysync-stack',
    brokers: [cfg.kafkaBrokers],
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const leftovers = (await admin.listTopics()).filter(
      (t) => !t.startsWith('billing.') && !t.startsWith('_'),
    );
    for (let i = 0; i < leftovers.length; i += 200) {
      await admin.deleteTopics({ topics: leftovers.slice(i, i + 200), timeout: 60_000 });
    }
    log(`pruned ${leftovers.length} test topics`);
  } finally {
    await admin.disconnect();
  }
}

const command = process.argv[2];
switch (command) {
  case 'prune-test-topics':
    await pruneTestTopics();
    break;
  case 'up':
    mkdirSync(stateDir, { recursive: true });
    await Promise.all([pgUp(), kafkaUp()]);
    log(`ready: DATABASE_URL=${cfg.databaseUrl} KAFKA_BROKERS=${cfg.kafkaBrokers}`);
    break;
  case 'down':
    await kafkaDown();
    pgDown();
    break;
  // Fault tests stop and start one component: `stop kafka`, `start postgres`, …
  case 'stop':
  case 'kill':
  case 'start': {
    const target = process.argv[3];
    const actions = {
      'stop kafka': kafkaDown,
      'kill kafka': kafkaKill,
      'stop postgres': pgDown,
      'start kafka': kafkaUp,
      'start postgres': pgUp,
    };
    const action = actions[`${command} ${target}`];
    if (!action) {
      process.stderr.write('usage: stack.mjs stop|start kafka|postgres, kill kafka\n');
      process.exitCode = 2;
      break;
    }
    mkdirSync(stateDir, { recursive: true });
    await action();
    break;
  }
  case 'status':
    process.exitCode = (await status()) ? 0 : 3;
    break;
  default:
    process.stderr.write('usage: stack.mjs up|down|status|prune-test-topics\n');
    process.exitCode = 2;
}
