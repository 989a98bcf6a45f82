import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { loadConfig } from '../../src/config.js';
import type { Logger } from 'pino';
import type { Actor, ChatPort } from '../../src/core/ports.js';
import { API_PREFIX } from '../../src/http/api/rest-api.js';
import { startServer, type RunningServer } from '../../src/main.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { silentLogger } from './engine.js';

type OpenApi = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>>; components: object };

export interface ApiAnswer {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read answers freely; shapes are checked against the OpenAPI document
  text: string;
}

/**
 * A whole Elevate server on a temporary SQLite file with a fake clock, and a client for its REST
 * API that checks every JSON answer against the OpenAPI document the server publishes (the
 * contract): a route answering something its document does not describe fails the test.
 * People: admin slack:UALICE, auditor slack:UAUDIT.
 */
export async function startApiHarness(options: { env?: Record<string, string>; ports?: ChatPort[]; logger?: Logger } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'elevate-api-'));
  const clock = new FakeClock();
  clock.set(new Date().toISOString());
  const config = loadConfig({
    DATABASE_URL: join(dir, 'elevate.db'), ELEVATE_SIGNING_KEY: 'k'.repeat(40), PORT: '0', HOST: '127.0.0.1',
    ELEVATE_ADMINS: 'slack:UALICE', ELEVATE_AUDITORS: 'slack:UAUDIT', ELEVATE_SCHEDULER_INTERVAL: '1h', ...options.env,
  });
  const server: RunningServer = await startServer(config, { logger: options.logger ?? silentLogger, clock, ports: options.ports });
  const base = `http://127.0.0.1:${server.port}`;
  const operator: Actor = { kind: 'operator', origin: 'cli' };
  const elevate = server.engine.elevate;
  const openApi = await (await fetch(`${base}${API_PREFIX}/openapi.json`)).json() as OpenApi;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const validators = new Map<string, ValidateFunction>();

  function validatorFor(method: string, template: string, status: number): ValidateFunction {
    const key = `${method} ${template} ${status}`;
    let validate = validators.get(key);
    if (!validate) {
      const operation = openApi.paths[`${API_PREFIX}${template}`]?.[method.toLowerCase()];
      if (!operation) throw new Error(`the OpenAPI document has no ${method} ${template}`);
      const schema = operation.responses[String(status)]?.content?.['application/json']?.schema;
      if (!schema) throw new Error(`the OpenAPI document does not describe ${status} for ${method} ${template}`);
      validate = ajv.compile({ ...schema, components: openApi.components });
      validators.set(key, validate);
    }
    return validate;
  }

  /**
   * Calls `method template` (e.g. `/requests/{id}`) with `params` filled in, and checks the JSON
   * answer against the document. `raw` sends a body as is (malformed input tests).
   */
  async function call(method: string, template: string, options: {
    token?: string; params?: Record<string, string>; query?: Record<string, string>; body?: unknown; raw?: string; headers?: Record<string, string>;
  } = {}): Promise<ApiAnswer> {
    const path = template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(options.params?.[name] ?? ''));
    const url = new URL(`${base}${API_PREFIX}${path}`);
    for (const [name, value] of Object.entries(options.query ?? {})) url.searchParams.append(name, value);
    const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    const response = await fetch(url, {
      method,
      headers: {
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
      },
      body,
    });
    const text = await response.text();
    const json = (response.headers.get('content-type') ?? '').startsWith('application/json');
    const answer: ApiAnswer = { status: response.status, headers: response.headers, body: json && text ? JSON.parse(text) : undefined, text };
    if (json) {
      const validate = validatorFor(method, template, response.status);
      if (!validate(answer.body)) {
        throw new Error(`${method} ${template} answered ${response.status} outside its contract: ${ajv.errorsText(validate.errors)}\n${text.slice(0, 500)}`);
      }
    }
    return answer;
  }

  async function token(scope: 'admin' | 'auditor' | 'checker' | 'requester', as?: string, expires?: string): Promise<string> {
    const { secret } = await elevate.createApiToken(operator, { name: `${scope}-${as ?? 'nobody'}-${Math.random().toString(36).slice(2, 8)}`, scope, as, expires });
    return secret;
  }

  return {
    server, elevate, clock, base, openApi, operator, call, token,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type ApiHarness = Awaited<ReturnType<typeof startApiHarness>>;
