/**
 * The load generator of slack-load.bench.ts, in its own process so that sending requests never
 * delays the fake Slack (whose pace check would then see gaps that are not there).
 * Input (argv): url secret rate seconds. Output: one JSON line of answers { ms, status }[].
 */
import { createHmac } from 'node:crypto';

const [url, secret, rateText, secondsText] = process.argv.slice(2) as [string, string, string, string];
const rate = Number(rateText);
const total = rate * Number(secondsText);

async function send(i: number): Promise<{ ms: number; status: number }> {
  const body = new URLSearchParams({
    team_id: 'T0ELEVATE', api_app_id: 'A0ELEVATE', user_id: `UREQ${i}`, command: '/elevate', text: `request Exchange\\Search-Mailbox 1h load ${i}`,
    channel_id: 'CGENERAL', trigger_id: `t${i}`, response_url: 'http://127.0.0.1:9/unused',
  }).toString();
  const timestamp = Math.floor(Date.now() / 1000);
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  const started = performance.now();
  try {
    const response = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature } });
    await response.arrayBuffer();
    return { ms: performance.now() - started, status: response.status };
  } catch {
    return { ms: Number.NaN, status: 0 };
  }
}

// Open loop: request i leaves at i / rate seconds whatever the answers before it did.
const answers = await Promise.all(Array.from({ length: total }, (_, i) => new Promise<{ ms: number; status: number }>((resolve) => {
  setTimeout(() => resolve(send(i)), (i * 1000) / rate);
})));
process.stdout.write(`${JSON.stringify(answers)}\n`);
