/**
 * Slack load run (issue: Slack). An Elevate server (its own process, SQLite file) receives signed
 * `/elevate request` commands from distinct requesters at a fixed rate while its dispatcher
 * delivers to a fake Slack Web API that enforces a per-channel pace. Prints the time to the HTTP
 * answer (p50 / p99 / max; Slack's limit is 3,000 ms), non-2xx answers, expected versus arrived
 * deliveries (none missing, none twice), how long the backlog took to drain against the
 * minimum the pace allows, and the server's CPU time.
 * Then (issue 12) a second server, at Slack's real pace of 1 message per second per channel, with
 * 500 events queued for the audit feed: requests typed meanwhile, and the time from each to its
 * approvers' cards (p50 / p99; target p99 ≤ 1 s) while the feed's backlog is still being sent.
 * Run: npm run bench:slack   (RATE=100 SECONDS=10 PACE=50 BACKLOG=500 LATE=20 to change)
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { createEngine } from '../src/main.js';
import { FakeSlackApi } from '../test/fakes/fake-slack-api.js';
import { cpuSeconds, percentile, startElevate, stopElevate } from './bench-kit.js';

const RATE = Number(process.env.RATE ?? 100);
const SECONDS = Number(process.env.SECONDS ?? 10);
const PACE = Number(process.env.PACE ?? 50); // messages per second per channel, Elevate's and the fake's
const SECRET = 'bench-signing-secret-0123456789abcdef';
const CLI = join(import.meta.dirname, '../src/cli/main.js');
const APPROVERS = ['UAPPROVER1', 'UAPPROVER2'];
const TOTAL = RATE * SECONDS;
const BACKLOG = Number(process.env.BACKLOG ?? 500);
const LATE = Number(process.env.LATE ?? 20);
const FEED = 'CFEED';
// Slack's own pace (about 1 message per second per channel) in the backlog phase; requests 2 s
// apart, so an approver's DM (1 card a second at most, the pace counted from the end of a send,
// claimed on the dispatcher's 250 ms poll) never has a queue of its own: what is measured is the
// feed's backlog, not the approver's own pace.
const SLACK_PACE_MS = 1000;
const LATE_INTERVAL_MS = 2000;
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

let server: Awaited<ReturnType<typeof startElevate>> | undefined;
const dirs = [dir];
let slack2: FakeSlackApi | undefined;
try {
  server = await startElevate(CLI, ['serve'], env);
  const port = server.port;
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
  const pick = (q: number) => percentile(times, q);
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
  console.log(`server CPU time: ${cpuSeconds(server.process.pid).toFixed(2)} s for ${TOTAL} commands and ${expected} deliveries`);
  await stopElevate(server.process);

  // Approver cards while the audit feed holds a backlog, at Slack's real pace.
  slack2 = await FakeSlackApi.start({ perChannelPerSecond: 1 });
  for (const id of APPROVERS) slack2.addUser({ id, realName: id, email: `${id.toLowerCase()}@example.com` });
  for (let i = 0; i < LATE; i++) slack2.addUser({ id: `ULATE${i}`, realName: `Late requester ${i}` });
  slack2.addChannel({ id: FEED, members: [FakeSlackApi.botUserId] });
  const dir2 = mkdtempSync(join(tmpdir(), 'elevate-slack-bench-'));
  dirs.push(dir2);
  const env2 = { ...env, DATABASE_URL: join(dir2, 'elevate.db'), SLACK_API_URL: slack2.url, SLACK_PACE_MS: String(SLACK_PACE_MS), SLACK_AUDIT_CHANNEL: FEED };
  const engine = await createEngine(loadConfig(env2));
  const operator = { kind: 'operator', origin: 'cli' } as const;
  for (let i = 0; i < BACKLOG; i++) await engine.elevate.createGroup(operator, `backlog-${i}`);
  await engine.elevate.createGroup(operator, 'approvers');
  for (const id of APPROVERS) await engine.elevate.addGroupMember(operator, 'approvers', `slack:${id}`);
  await engine.elevate.createPolicy(operator, { target: { type: 'task', scope: 'Exchange', name: 'Exchange\\Search-Mailbox' }, approval: 'manual', approverGroup: 'approvers', reasonRequired: false });
  await engine.close();
  server = await startElevate(CLI, ['serve'], env2);
  const url2 = `http://127.0.0.1:${server.port}/slack/events`;
  while (slack2.messagesIn(FEED).length === 0) await new Promise((r) => setTimeout(r, 50));
  const sentAt = new Map<string, number>();
  for (let i = 0; i < LATE; i++) {
    const sent = Date.now();
    const answer = await command(url2, `ULATE${i}`, `request Exchange\\Search-Mailbox 1h late ${i}`);
    const id = /R-[0-9A-Z]{8}/.exec(answer)?.[0];
    if (id) sentAt.set(id, sent);
    await new Promise((r) => setTimeout(r, Math.max(0, LATE_INTERVAL_MS - (Date.now() - sent))));
  }
  const cardAt = (approver: string, id: string) => slack2!.callsTo('chat.postMessage')
    .find((c) => c.status === 200 && (c.args as { channel?: string }).channel === `D${approver}` && JSON.stringify(c.args).includes(id))?.at;
  const lateUntil = Date.now() + 30_000;
  while (APPROVERS.some((a) => [...sentAt.keys()].some((id) => cardAt(a, id) === undefined)) && Date.now() < lateUntil) await new Promise((r) => setTimeout(r, 50));
  const latencies = APPROVERS.flatMap((a) => [...sentAt].map(([id, at]) => (cardAt(a, id) ?? Number.NaN) - at)).sort((a, b) => a - b);
  const missing = latencies.filter(Number.isNaN).length + (LATE - sentAt.size) * APPROVERS.length;
  const shown = latencies.filter((v) => !Number.isNaN(v));
  console.log(`backlog: ${BACKLOG} audit feed events queued at Slack's pace (1/s per channel); ${LATE} requests ${LATE_INTERVAL_MS} ms apart meanwhile; feed messages sent by then ${slack2.messagesIn(FEED).length}`);
  console.log(`approver card latency under the backlog: p50 ${percentile(shown, 0.5).toFixed(1)} ms, p99 ${percentile(shown, 0.99).toFixed(1)} ms, max ${(shown.at(-1) ?? Number.NaN).toFixed(1)} ms; missing ${missing}  (target p99 ≤ 1000 ms); refused by the fake's pace ${slack2.rateLimited}`);
} finally {
  await stopElevate(server?.process);
  await slack.close();
  await slack2?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

/** One signed `/elevate` command from `user`; resolves with the answer's text. */
async function command(url: string, user: string, text: string): Promise<string> {
  const body = new URLSearchParams({
    team_id: 'T0ELEVATE', api_app_id: 'A0ELEVATE', user_id: user, command: '/elevate', text, channel_id: 'CGENERAL', trigger_id: `t-${user}`, response_url: 'http://127.0.0.1:9/unused',
  }).toString();
  const timestamp = Math.floor(Date.now() / 1000);
  const signature = `v0=${createHmac('sha256', SECRET).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  const response = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature } });
  return response.text();
}
