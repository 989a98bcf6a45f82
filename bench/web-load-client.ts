/**
 * Closed-loop HTTP load for web.bench.ts, in its own process: `connections` keep-alive
 * connections each ask for the page again as soon as the previous answer arrives, for `seconds`
 * after a one-second warm-up, with the session cookie. An answer counts as good when it is 200
 * and contains `marker`.
 * Input (argv): url cookie connections seconds marker. Output: one JSON line of figures.
 */
import { Agent, request } from 'node:http';

const [url, cookie, connectionsText, secondsText, marker] = process.argv.slice(2) as [string, string, string, string, string];
const connections = Number(connectionsText);
const agent = new Agent({ keepAlive: true, maxSockets: connections });

function load(): Promise<{ ms: number; ok: boolean; bytes: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request(url, { agent, headers: { cookie } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        resolve({ ms: performance.now() - started, ok: res.statusCode === 200 && body.includes(marker), bytes: body.length });
      });
    });
    req.on('error', () => resolve({ ms: Number.NaN, ok: false, bytes: 0 }));
    req.end();
  });
}

async function run(seconds: number, record: boolean) {
  const latencies: number[] = [];
  let failed = 0;
  let bytes = 0;
  const until = performance.now() + seconds * 1000;
  await Promise.all(Array.from({ length: connections }, async () => {
    while (performance.now() < until) {
      const answer = await load();
      if (!record) continue;
      if (!answer.ok) failed += 1;
      bytes = answer.bytes;
      latencies.push(answer.ms);
    }
  }));
  return { latencies, failed, bytes };
}

await run(1, false);
const started = performance.now();
const { latencies, failed, bytes } = await run(Number(secondsText), true);
const elapsed = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
process.stdout.write(`${JSON.stringify({ pages: latencies.length, perSecond: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), max: latencies[latencies.length - 1], failed, bytes })}\n`);
agent.destroy();
