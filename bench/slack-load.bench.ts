/**
 * Slack load run (issue: Slack). An Elevate server (its own process, SQLite file) receives signed
 * `/elevate request` commands from distinct requesters at a fixed rate while its dispatcher
 * delivers to a fake Slack Web API that enforces a per-channel pace. Prints the time to the HTTP
 * answer (p50 / p99 / max; Slack's limit is 3,000 ms), non-2xx answers, expected versus arrived
 * deliveries (none missing, none twice), and how long the backlog took to drain against the
 * minimum the pace allows.
 * Run: npm run bench:slack   (RATE=100 SECONDS=10 PACE=50 to change)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeSlackApi } from '../test/fakes/fake-slack-api.js';

const RATE = Number(process.env.RATE ?? 100);
const SECONDS = Number(process.env.SECONDS ?? 10);
const PACE = Number(process.env.PACE ?? 50); // messages per second per channel, Elevate's and the fake's
const SECRET = 'bench-signing-secret-0123456789abcdef';
const CLI = join(import.meta.dirname, '../src/cli/main.js');
const APPROVERS = ['UAPPROVER1', 'UAPPROVER2'];
const TOTAL = RATE * SECONDS;
// Past this, the run has failed to drain: stop and report rather than hang.
const DRAIN_TIMEOUT_MS = 10 * 60_000;

const slack = await FakeSlackApi.start({ perChannelPerSecond: PACE });
for (const id of APPROVERS) slack.addUser({ id, realName: id, email: `${id.toLowerCase()}@example.com` });
for (let i = 0; i < TOTAL; i++) slack.addUser({ id: `UREQ${i}`, realName: `Requester ${i}` });
const dir = mkdtempSync(join(tmpdir(), 'elevate-slack-bench-'));
const env = {
  PATH: process.env.PATH, DATABASE_URL: join(dir, 'elevate.db'), ELEVATE_SIGNING_KEY: 'b'.repeat(40), LOG_LEVEL: 'warn', ELEVATE_SHUTDOWN_DELAY: '0s',
  HOST: '127.0.0.1', PORT: '0', ELEVATE_ADMINS: 'slack:UADMIN', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: SECRET,
  SLACK_API_URL: slack.url, SLACK_PACE_MS: String(Math.ceil(1000 / PACE)),
};
const cli = (...args: string[]) => {
  const result = spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`elevate ${args.join(' ')}: ${result.stderr}`);
};
cli('group', 'new', 'approvers');
for (const id of APPROVERS) cli('group', 'add-member', 'approvers', `slack:${id}`);
cli('policy', 'new', '--task', 'Exchange\\Search-Mailbox', '--approval', 'manual', '--approver-group', 'approvers', '--no-reason-required');

let server: ChildProcess | undefined;
try {
  server = spawn(process.execPath, [CLI, 'serve'], { env: { ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let buffer = '';
    server!.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = /"port":(\d+),[^\n]*Elevate is serving/.exec(buffer);
      if (match) resolve(Number(match[1]));
    });
    server!.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  const url = `http://127.0.0.1:${port}/slack/events`;

  const loadStartedAt = Date.now();
  // Asynchronously: this process serves the fake Slack meanwhile.
  const client = spawn(process.execPath, [join(import.meta.dirname, 'slack-load-client.js'), url, SECRET, String(RATE), String(SECONDS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  client.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const code = await new Promise<number | null>((resolve) => client.once('exit', resolve));
  if (code !== 0) throw new Error(`load client exited with ${code}`);
  const answers = JSON.parse(output) as Array<{ ms: number; status: number }>;

  const posted = () => slack.callsTo('chat.postMessage').filter((c) => c.status === 200 && (c.response as { ok?: boolean }).ok);
  const expected = TOTAL * (APPROVERS.length + 1); // each approver's card and the requester's own
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  while (posted().length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const drainedMs = posted().length >= expected ? Math.max(...posted().map((c) => c.at)) - loadStartedAt : Number.NaN;
  await new Promise((r) => setTimeout(r, 1500)); // anything posted twice would arrive now

  const times = answers.map((a) => a.ms).filter((ms) => !Number.isNaN(ms)).sort((a, b) => a - b);
  const pick = (q: number) => times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)]!;
  const non2xx = answers.filter((a) => a.status < 200 || a.status >= 300).length;
  const perRequest = new Map<string, number>();
  for (const call of posted()) {
    const text = String((call.args as { text?: string }).text ?? '') + JSON.stringify((call.args as { blocks?: unknown }).blocks ?? '');
    const id = /R-[0-9A-Z]{8}/.exec(text)?.[0] ?? '?';
    const key = `${String((call.args as { channel?: string }).channel)}:${id}`;
    perRequest.set(key, (perRequest.get(key) ?? 0) + 1);
  }
  const twice = [...perRequest.values()].filter((n) => n > 1).length;
  const busiest = Math.max(...APPROVERS.map((id) => slack.messagesIn(`D${id}`).length));
  // The last card cannot go before its request arrived, nor before the pace lets the busiest channel empty.
  const minimumMs = Math.max((busiest - 1) / PACE, (TOTAL - 1) / RATE) * 1000;

  console.log(`load: ${TOTAL} signed /elevate request commands at ${RATE}/s for ${SECONDS}s; per-channel pace ${PACE}/s (Elevate and the fake)`);
  console.log(`time to HTTP answer: p50 ${pick(0.5).toFixed(1)} ms, p99 ${pick(0.99).toFixed(1)} ms, max ${times.at(-1)!.toFixed(1)} ms  (target p99 ≤ 100 ms = ${(pick(0.99) / 3000).toFixed(3)} of Slack's 3,000 ms limit)`);
  console.log(`non-2xx answers: ${non2xx}  (target 0)`);
  console.log(`deliveries: expected ${expected}, arrived ${posted().length}, posted twice ${twice}, refused by the fake's pace ${slack.rateLimited}  (target: all arrived, none twice)`);
  console.log(`backlog drained ${(drainedMs / 1000).toFixed(2)} s after the load started; the pace allows at best ${(minimumMs / 1000).toFixed(2)} s (${busiest} messages to the busiest channel): ratio ${(drainedMs / minimumMs).toFixed(3)}  (target ≤ 1.10)`);
} finally {
  server?.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  await slack.close();
  rmSync(dir, { recursive: true, force: true });
}
