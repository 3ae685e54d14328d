// `node --import tsx scripts/bench/cpuprofile.ts <file.cpuprofile | dir> [--top N]`: the top
// self-time functions of V8 CPU profiles (`node --cpu-prof`, e.g. from `npm run bench -- peers
// --cpu-prof DIR`), and self time per package (node_modules/<pkg>, our libs/services, node:
// internals, GC, idle), so a profile can be read and pasted without a flame-graph viewer.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Where a frame's code comes from: a package, our source tree, node internals, or V8 itself. */
function packageOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm?.[1]) return nm[1];
  const ours = /\/((?:libs|services|scripts)\/[^/]+)\//.exec(url);
  if (ours?.[1]) return ours[1];
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  return url;
}

interface Summary {
  readonly totalMs: number;
  readonly functions: { name: string; where: string; ms: number }[];
  readonly packages: { name: string; ms: number }[];
}

function summarise(profile: Profile): Summary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const fn = new Map<string, { name: string; where: string; ms: number }>();
  const pkg = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const frame = byId.get(id);
    if (!frame) return;
    total += ms;
    const name = frame.functionName || '(anonymous)';
    const where = frame.url
      ? `${frame.url.replace(/^.*\/(node_modules|libs|services)\//, '$1/')}:${frame.lineNumber + 1}`
      : '';
    const key = `${name}@${where}`;
    const entry = fn.get(key) ?? { name, where, ms: 0 };
    entry.ms += ms;
    fn.set(key, entry);
    const p = packageOf(frame.url, name);
    pkg.set(p, (pkg.get(p) ?? 0) + ms);
  });
  return {
    totalMs: total,
    functions: [...fn.values()].sort((a, b) => b.ms - a.ms),
    packages: [...pkg.entries()].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms),
  };
}

function main(): void {
  const args = process.argv.slice(2);
  const topAt = args.indexOf('--top');
  const top = topAt >= 0 ? Number(args[topAt + 1]) : 25;
  const targets = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--top');
  const files = targets.flatMap((t) =>
    statSync(t).isDirectory()
      ? readdirSync(t)
          .filter((f) => f.endsWith('.cpuprofile'))
          .map((f) => join(t, f))
      : [t],
  );
  for (const file of files) {
    const s = summarise(JSON.parse(readFileSync(file, 'utf8')) as Profile);
    const busy = s.totalMs - (s.packages.find((p) => p.name === '(idle)')?.ms ?? 0);
    const pct = (ms: number) => ((100 * ms) / busy).toFixed(1).padStart(5);
    console.log(
      `\n# ${basename(file)}: ${(s.totalMs / 1000).toFixed(1)} s sampled, ${(busy / 1000).toFixed(1)} s busy`,
    );
    console.log('\n## self time by package (% of busy)');
    for (const p of s.packages.filter((x) => x.name !== '(idle)').slice(0, 15))
      console.log(`${pct(p.ms)} %  ${p.ms.toFixed(0).padStart(7)} ms  ${p.name}`);
    console.log(`\n## top ${top} functions by self time (% of busy)`);
    for (const f of s.functions.filter((x) => x.name !== '(idle)').slice(0, top))
      console.log(`${pct(f.ms)} %  ${f.ms.toFixed(0).padStart(7)} ms  ${f.name}  ${f.where}`);
  }
}

if (process.argv[1]?.endsWith('cpuprofile.ts')) main();
