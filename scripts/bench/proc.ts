// Where the CPU time goes: CPU seconds of the processes a scenario runs (a service, the peer, the
// stack's Kafka broker and PostgreSQL), read from /proc. Linux only; a benchmark helper.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

interface Stat {
  readonly ppid: number;
  /** utime + stime of the process, in ticks. */
  readonly own: number;
  /** cutime + cstime: children it has waited for. */
  readonly children: number;
}

function stat(pid: number): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may contain spaces: split after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const n = (i: number) => Number(fields[i - 3]);
    return { ppid: n(4), own: n(14) + n(15), children: n(16) + n(17) };
  } catch {
    return undefined;
  }
}

function pids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

/**
 * CPU seconds used so far by `pid`; with `tree`, also by its live children and the children it
 * has reaped (PostgreSQL's backends are children of the postmaster).
 */
export function cpuSeconds(pid: number, { tree = false } = {}): number {
  const root = stat(pid);
  if (!root) return 0;
  let ticks = root.own;
  if (tree) {
    ticks += root.children;
    for (const p of pids()) {
      if (p === pid) continue;
      const s = stat(p);
      if (s?.ppid === pid) ticks += s.own;
    }
  }
  return ticks / TICKS_PER_SECOND;
}

/** The pid of the process listening on 127.0.0.1:`port` (TCP), or undefined. */
export function pidListeningOn(port: number): number | undefined {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT; state 0A is LISTEN; inode is column 9.
      if (cols[1]?.endsWith(`:${hexPort}`) && cols[3] === '0A' && cols[9]) inodes.add(cols[9]);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const pid of pids()) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m?.[1] && inodes.has(m[1])) return pid;
      } catch {
        // closed meanwhile
      }
    }
  }
  return undefined;
}

/** Read and write system calls made so far by `pid` (/proc/<pid>/io: syscr + syscw), or 0. */
function syscalls(pid: number): number {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    return (
      Number(/syscr:\s+(\d+)/.exec(io)?.[1] ?? 0) + Number(/syscw:\s+(\d+)/.exec(io)?.[1] ?? 0)
    );
  } catch {
    return 0;
  }
}

/** Peak resident set (VmHWM) of a process, in MiB. */
export function peakRssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
  } catch {
    return 0;
  }
}

/** CPU seconds of named processes between `start()` and `stop()`. */
export class CpuMeter {
  readonly #procs: Record<string, { pid: number; tree: boolean }>;
  #before: Record<string, number> = {};
  #syscallsBefore: Record<string, number> = {};

  constructor(procs: Record<string, { pid: number | undefined; tree?: boolean }>) {
    this.#procs = Object.fromEntries(
      Object.entries(procs)
        .filter((e): e is [string, { pid: number; tree?: boolean }] => e[1].pid !== undefined)
        .map(([name, p]) => [name, { pid: p.pid, tree: p.tree ?? false }]),
    );
  }

  start(): void {
    this.#before = this.#read();
    this.#syscallsBefore = this.#readSyscalls();
  }

  /**
   * Read/write system calls per process since `start()` (processes measured as a tree, such as
   * PostgreSQL, are left out: their backends come and go). On a VM a loopback write is costly, so
   * this says where the CPU time goes as much as the profile does.
   */
  syscalls(): Record<string, number> {
    const after = this.#readSyscalls();
    return Object.fromEntries(
      Object.entries(after).map(([name, n]) => [name, n - (this.#syscallsBefore[name] ?? 0)]),
    );
  }

  #readSyscalls(): Record<string, number> {
    return Object.fromEntries(
      Object.entries(this.#procs)
        .filter(([, p]) => !p.tree)
        .map(([name, p]) => [name, syscalls(p.pid)]),
    );
  }

  /** CPU seconds per process since `start()`. */
  stop(): Record<string, number> {
    const after = this.#read();
    return Object.fromEntries(
      Object.entries(after).map(([name, s]) => [name, s - (this.#before[name] ?? 0)]),
    );
  }

  #read(): Record<string, number> {
    return Object.fromEntries(
      Object.entries(this.#procs).map(([name, p]) => [name, cpuSeconds(p.pid, { tree: p.tree })]),
    );
  }
}
