import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake Microsoft Graph on 127.0.0.1 for Entra group members: answers
 * `GET /v1.0/groups/{id}/transitiveMembers/microsoft.graph.user` a few users per page with
 * `@odata.nextLink`, 404 for unknown groups, 401 without a bearer token. Records every call.
 */
export class FakeGraph {
  readonly groups = new Map<string, Array<{ id: string; accountEnabled: boolean }>>();
  readonly calls: string[] = [];

  url = '';

  private constructor(private readonly server: Server, private readonly pageSize: number) {}

  static async start(pageSize = 2): Promise<FakeGraph> {
    const server = createServer();
    const fake = new FakeGraph(server, pageSize);
    server.on('request', (req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      fake.calls.push(`${req.method} ${url.pathname}${url.search}`);
      const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (!/^Bearer \S+/.test(req.headers.authorization ?? '')) return send(401, { error: { code: 'InvalidAuthenticationToken', message: 'no token' } });
      const match = /^\/v1\.0\/groups\/([^/]+)\/transitiveMembers\/microsoft\.graph\.user$/.exec(url.pathname);
      const members = match ? fake.groups.get(decodeURIComponent(match[1]!)) : undefined;
      if (!members) return send(404, { error: { code: 'Request_ResourceNotFound', message: 'no such group' } });
      const skip = Number(url.searchParams.get('$skiptoken') ?? 0);
      const page = members.slice(skip, skip + fake.pageSize);
      const next = skip + fake.pageSize < members.length ? `${fake.url}${url.pathname.slice(1)}?$skiptoken=${skip + fake.pageSize}` : undefined;
      return send(200, { value: page, ...(next ? { '@odata.nextLink': next } : {}) });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    return fake;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
