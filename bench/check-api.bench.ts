/**
 * Enforcement check over HTTP (issue: REST API). With 100,000 active grants stored, measures
 * GET /api/v1/check on loopback: checks per second and p99 (targets ≥ 5,000/s and ≤ 10 ms on a
 * 2-core machine), against a bare server on the same HTTP framework returning a constant,
 * measured in the same run (target ratio ≥ 0.5). The server, the baseline and the load
 * generator each run in their own process; rounds alternate between the two servers.
 * Run: npm run bench:check   (GRANTS, CONNECTIONS, SECONDS, ROUNDS to change)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { createEngine } from '../src/main.js';
import { seedGrants } from './grant-fixture.js';
import { keyringFromSecret } from '../src/keys.js';

const GRANTS = Number(process.env.GRANTS ?? 100_000);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 8);
const SECONDS = Number(process.env.SECONDS ?? 5);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const dist = import.meta.dirname;

interface Figures { requests: number; perSecond: number; p50: number; p99: number; max: number; failed: number; denied: number }

/** Starts a process that prints its port (as JSON `port` on some line of its output). */
function startProcess(args: string[], env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = /"port":(\d+)/.exec(buffer);
      if (match) resolve({ child, port: Number(match[1]) });
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
  });
}

function load(url: string, token: string): Promise<Figures> {
  const child = spawn(process.execPath, [join(dist, 'http-load-client.js'), url, token, String(CONNECTIONS), String(SECONDS), String(GRANTS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(output) as Figures) : reject(new Error(`load client exited with ${code}`)))));
}

const format = (f: Figures) => `${f.perSecond.toFixed(0)} checks/s, p50 ${f.p50.toFixed(2)} ms, p99 ${f.p99.toFixed(2)} ms, max ${f.max.toFixed(1)} ms, ${f.failed} failed`;

const dir = mkdtempSync(join(tmpdir(), 'elevate-check-bench-'));
const env = { ...process.env, DATABASE_URL: join(dir, 'elevate.db'), ELEVATE_SIGNING_KEY: 'b'.repeat(40), ELEVATE_ADMINS: 'slack:UADMIN,slack:UADMIN2', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ELEVATE_SHUTDOWN_DELAY: '0s' };
const children: ChildProcess[] = [];
try {
  const engine = await createEngine(loadConfig(env));
  const operator = { kind: 'operator', origin: 'cli' } as const;
  await engine.elevate.createPolicy(operator, { target: { type: 'task', scope: 'Exchange', name: 'Exchange\\Search-Mailbox' }, approval: 'auto' });
  const { secret } = await engine.elevate.createApiToken(operator, { name: 'bench', scope: 'checker' });
  await engine.close();
  const now = Date.now();
  seedGrants(env.DATABASE_URL, keyringFromSecret(env.ELEVATE_SIGNING_KEY).signing, GRANTS, () => new Date(now + 8 * 3600_000).toISOString(), new Date(now).toISOString());

  const elevate = await startProcess([join(dist, '../src/cli/main.js'), 'serve'], env);
  children.push(elevate.child);
  const baseline = await startProcess([join(dist, 'constant-server.js')], env);
  children.push(baseline.child);
  const results: Array<{ elevate: Figures; baseline: Figures }> = [];
  for (let round = 0; round < ROUNDS; round++) {
    const base = await load(`http://127.0.0.1:${baseline.port}/api/v1/check`, secret);
    const real = await load(`http://127.0.0.1:${elevate.port}/api/v1/check`, secret);
    if (real.denied > 0 || real.failed > 0) throw new Error(`expected every check allowed: ${real.denied} denied, ${real.failed} failed`);
    results.push({ elevate: real, baseline: base });
    console.log(`round ${round + 1}: elevate ${format(real)} | baseline ${format(base)} | ratio ${(real.perSecond / base.perSecond).toFixed(2)}`);
  }
  const sum = (pick: (r: { elevate: Figures; baseline: Figures }) => number) => results.reduce((total, r) => total + pick(r), 0);
  const worstP99 = Math.max(...results.map((r) => r.elevate.p99));
  console.log(`GET /api/v1/check with ${GRANTS} active grants, ${CONNECTIONS} keep-alive connections, ${ROUNDS}×${SECONDS} s:`);
  console.log(`  elevate:  ${(sum((r) => r.elevate.requests) / (ROUNDS * SECONDS)).toFixed(0)} checks/s (target ≥ 5000), worst p99 ${worstP99.toFixed(2)} ms (target ≤ 10)`);
  console.log(`  baseline: ${(sum((r) => r.baseline.requests) / (ROUNDS * SECONDS)).toFixed(0)} answers/s (same HTTP server, constant answer)`);
  console.log(`  ratio elevate / baseline: ${(sum((r) => r.elevate.requests) / sum((r) => r.baseline.requests)).toFixed(2)} (target ≥ 0.5)`);
} finally {
  for (const child of children) child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  rmSync(dir, { recursive: true, force: true });
}
