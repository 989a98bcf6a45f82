/**
 * The baseline of check-api.bench.ts: Elevate's own HTTP server (src/http/server.ts, the same
 * framework the API runs on) answering GET /api/v1/check with a constant. Prints its port.
 */
import { pino } from 'pino';
import { HttpServer, sendJson } from '../src/http/server.js';

const answer = { allowed: true, grantId: 'G-CONSTANT', endsAt: '2026-11-27T17:00:00.000Z' };
const http = new HttpServer(pino({ level: 'silent' })).route('GET', '/api/v1/check', (_req, res) => sendJson(res, 200, answer));
const port = await http.listen(0, '127.0.0.1');
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.once('SIGTERM', () => void http.close().then(() => process.exit(0)));
