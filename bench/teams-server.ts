/**
 * Elevate for teams-load.bench.ts: `elevate serve` with the configuration from the environment,
 * whose outbound Bot Connector calls carry the token given as argv[2] (the fake connector's; there
 * is no Entra on this machine). Logs "Elevate is serving" with its port, stops on SIGTERM.
 */
import { loadConfig } from '../src/config.js';
import { startServer } from '../src/main.js';

const token = process.argv[2] ?? '';
const server = await startServer(loadConfig(process.env), { teamsToken: () => token });
process.once('SIGTERM', () => void server.stop().then(() => process.exit(0)));
