import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { runWithRequestId } from '../request-context.js';

// Long enough for an in-flight answer (an audit export) to finish, short enough for orchestrators
// (Kubernetes waits 30 s before SIGKILL by default).
const DEFAULT_GRACE_MS = 10_000;

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * The one HTTP server: routes by method and path prefix. Platform adapters and the API register
 * their handlers here, so everything listens on one port.
 */
export class HttpServer {
  private readonly routes: Array<{ method: string; path: string; prefix: boolean; handler: RouteHandler }> = [];
  readonly server: Server;
  /** Handlers still running (a cut connection does not stop its handler). */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly logger: Logger) {
    this.server = createServer((req, res) => {
      const given = req.headers['x-request-id'];
      runWithRequestId(typeof given === 'string' ? given : undefined, (requestId) => {
        res.setHeader('x-request-id', requestId);
        const handling = this.handle(req, res, requestId).finally(() => this.inFlight.delete(handling));
        this.inFlight.add(handling);
      });
    });
    this.server.keepAliveTimeout = 65_000; // longer than common load balancers' idle timeout (60 s)
  }

  /** `method` `*` matches every method; `prefix` matches every path under `path`. */
  route(method: string, path: string, handler: RouteHandler, options: { prefix?: boolean } = {}): this {
    this.routes.push({ method, path, prefix: options.prefix ?? false, handler });
    return this;
  }

  private async handle(req: IncomingMessage, res: ServerResponse, reqId: string): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const started = performance.now();
    res.once('finish', () => this.logger.debug({ reqId, method: req.method, path, status: res.statusCode, ms: Math.round(performance.now() - started) }, 'http request'));
    const route = this.routes.find((r) => (r.prefix ? path.startsWith(r.path) : path === r.path) && (r.method === '*' || r.method === req.method));
    try {
      if (route) await route.handler(req, res);
      else sendJson(res, 404, { error: { code: 'not_found', message: `no route for ${req.method} ${path}` } });
    } catch (error) {
      this.logger.error({ err: error, path }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, { error: { code: 'internal', message: 'internal error' } });
      else res.end();
    }
  }

  listen(port: number, host?: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        const address = this.server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  /**
   * Stops accepting connections and lets requests in flight finish: idle keep-alive connections
   * are closed as they become idle, and whatever is still open after `graceMs` is cut.
   */
  async close(graceMs = DEFAULT_GRACE_MS): Promise<void> {
    await new Promise<void>((resolve) => {
      const sweeper = setInterval(() => this.server.closeIdleConnections(), 50);
      const deadline = setTimeout(() => this.server.closeAllConnections(), graceMs);
      this.server.close(() => {
        clearInterval(sweeper);
        clearTimeout(deadline);
        resolve();
      });
      this.server.closeIdleConnections();
    });
    // Handlers of cut connections may still be at work: let them finish (bounded) before the
    // caller closes what they use (the database).
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise((resolve) => { timer = setTimeout(resolve, graceMs); }),
    ]);
    clearTimeout(timer);
  }
}
