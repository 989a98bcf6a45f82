import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Answer = (status: number, body: unknown) => void;

/**
 * What the fake on-call providers share: a JSON API on 127.0.0.1 that records every call, and
 * `failNext`, which makes the next calls answer a status (the provider's error body) or never
 * answer (`'hang'`, for timeouts). Subclasses answer the calls that get through.
 */
export abstract class FakeJsonApi {
  readonly requests: Array<{ path: string; query: URLSearchParams; authorization: string | undefined }> = [];
  private failures: Array<number | 'hang'> = [];
  private server: Server | undefined;
  private readonly hanging = new Set<ServerResponse>();
  private port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  failNext(...failures: Array<number | 'hang'>): void {
    this.failures.push(...failures);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.serve(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server!.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** The body of an answer as the provider wraps it (default: as is). */
  protected envelope(body: unknown): unknown {
    return body;
  }

  /** The provider's body for a server error. */
  protected abstract errorBody(): unknown;

  protected abstract answer(req: IncomingMessage, url: URL, send: Answer): void;

  private serve(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    this.requests.push({ path: decodeURIComponent(url.pathname), query: url.searchParams, authorization: req.headers.authorization });
    const send: Answer = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(this.envelope(body)));
    };
    const failure = this.failures.shift();
    if (failure === 'hang') {
      this.hanging.add(res);
      return;
    }
    if (failure !== undefined) return send(failure, this.errorBody());
    this.answer(req, url, send);
  }
}
