import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';

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

  constructor(private readonly logger: Logger) {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 65_000; // longer than common load balancers' idle timeout (60 s)
  }

  /** `method` `*` matches every method; `prefix` matches every path under `path`. */
  route(method: string, path: string, handler: RouteHandler, options: { prefix?: boolean } = {}): this {
    this.routes.push({ method, path, prefix: options.prefix ?? false, handler });
    return this;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
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

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }
}
