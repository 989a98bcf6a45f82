/**
 * Closed-loop HTTP load for check-api.bench.ts, in its own process: `connections` keep-alive
 * connections each send the next check as soon as the previous answer arrives, for `seconds`
 * after a one-second warm-up. Checks ask about `slack:US<random below holders>`.
 * Input (argv): url token connections seconds holders. Output: one JSON line of figures.
 */
import { Agent, request } from 'node:http';

const [url, token, connectionsText, secondsText, holdersText] = process.argv.slice(2) as [string, string, string, string, string];
const connections = Number(connectionsText);
const holders = Number(holdersText);
const agent = new Agent({ keepAlive: true, maxSockets: connections });
const target = encodeURIComponent('Exchange\\Search-Mailbox');

function check(): Promise<{ ms: number; status: number; allowed: boolean }> {
  const principal = `slack:US${Math.floor(Math.random() * holders)}`;
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request(`${url}?principal=${principal}&target=${target}`, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        resolve({ ms: performance.now() - started, status: res.statusCode ?? 0, allowed: body.includes('"allowed":true') });
      });
    });
    req.on('error', () => resolve({ ms: Number.NaN, status: 0, allowed: false }));
    req.end();
  });
}

async function run(seconds: number, record: boolean) {
  const latencies: number[] = [];
  let failed = 0;
  let denied = 0;
  const until = performance.now() + seconds * 1000;
  await Promise.all(Array.from({ length: connections }, async () => {
    while (performance.now() < until) {
      const answer = await check();
      if (!record) continue;
      if (answer.status !== 200) failed += 1;
      else if (!answer.allowed) denied += 1;
      latencies.push(answer.ms);
    }
  }));
  return { latencies, failed, denied };
}

await run(1, false);
const started = performance.now();
const { latencies, failed, denied } = await run(Number(secondsText), true);
const elapsed = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
process.stdout.write(`${JSON.stringify({ requests: latencies.length, perSecond: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), max: latencies[latencies.length - 1], failed, denied })}\n`);
agent.destroy();
