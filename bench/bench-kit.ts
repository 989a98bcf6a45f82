/**
 * Pieces the benchmarks share: Elevate as a process of its own, its first message of a kind,
 * percentiles, and the fastest a paced channel can take a number of messages under a platform's limits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The first IPC message of a bench instance that carries `key`; rejects if the instance exits first. */
export function workerMessage(worker: ChildProcess, key: string): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: Record<string, number>) => {
      if (key in m) {
        worker.off('message', onMessage);
        resolve(m);
      }
    };
    worker.on('message', onMessage);
    worker.once('exit', (code) => reject(new Error(`bench instance exited with ${code}`)));
  });
}

/** The `q` quantile (0..1) of ascending `sorted` values (nearest rank). */
export function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

/**
 * Starts `node <script> ...args` and resolves with its port once it logs "Elevate is serving".
 * BENCH_NODE_ARGS are Node options for Elevate (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it).
 */
export async function startElevate(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ process: ChildProcess; port: number }> {
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], { env: { ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = /"port":(\d+),[^\n]*Elevate is serving/.exec(buffer);
      if (match) resolve(Number(match[1]));
      if (buffer.length > 1_000_000) buffer = buffer.slice(-10_000);
    });
    child.once('exit', (code) => reject(new Error(`Elevate exited with ${code}`)));
  });
  return { process: child, port };
}

/** Stops a process started by `startElevate` (SIGTERM) and waits for it. */
export async function stopElevate(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
}

/**
 * The earliest time (ms after the first send) the last of `count` messages to one conversation
 * can go, sending each as soon as every window of `limits` has room (sliding windows).
 */
export function fastestDrainMs(count: number, limits: ReadonlyArray<{ count: number; windowMs: number }>): number {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    let at = times.at(-1) ?? 0;
    for (const limit of limits) {
      const earlier = times[times.length - limit.count];
      if (earlier !== undefined) at = Math.max(at, earlier + limit.windowMs);
    }
    times.push(at);
  }
  return times.at(-1) ?? 0;
}

/**
 * CPU time (user + system, seconds) a process has used so far, from /proc (Linux; NaN elsewhere):
 * a cost figure that a busy machine disturbs less than wall-clock times.
 */
export function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    // After the command: state is field 3, utime and stime fields 14 and 15 (proc(5)).
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

// USER_HZ on Linux (getconf CLK_TCK), the unit of /proc/<pid>/stat's times.
const CLOCK_TICKS_PER_SECOND = 100;
