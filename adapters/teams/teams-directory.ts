import type { App } from '@microsoft/teams.apps';
import { NotFoundError } from '../../src/core/errors.js';
import type { Directory } from '../../src/core/ports.js';

// Membership changes rarely matter within a minute; Graph throttles tenants that poll harder.
const GROUP_TTL_MS = 60_000;
const PUBLIC_GRAPH = 'https://graph.microsoft.com';

interface GraphPage { value?: Array<{ id?: string; accountEnabled?: boolean }>; '@odata.nextLink'?: string }

/**
 * Microsoft Entra groups as approver groups (`teams:<group object id>`), read from Microsoft Graph
 * with the bot's app identity (needs the GroupMember.Read.All application permission). Members of
 * nested groups count; disabled accounts do not. Cached for a minute.
 */
export class TeamsDirectory implements Directory {
  private readonly cache = new Map<string, { members: Promise<string[]>; at: number }>();

  constructor(private readonly app: App, private readonly now: () => number = Date.now) {}

  resolveGroupMembers(ref: string): Promise<string[]> {
    const groupId = ref.replace(/^teams:/, '');
    const hit = this.cache.get(groupId);
    if (hit && this.now() - hit.at < GROUP_TTL_MS) return hit.members;
    const members = this.load(groupId);
    this.cache.set(groupId, { members, at: this.now() });
    members.catch(() => this.cache.delete(groupId));
    return members;
  }

  private async load(groupId: string): Promise<string[]> {
    const base = this.app.graphBaseUrl ?? PUBLIC_GRAPH;
    let url: string | undefined = `${base}/v1.0/groups/${encodeURIComponent(groupId)}/transitiveMembers/microsoft.graph.user?$select=id,accountEnabled&$top=999`;
    const members: string[] = [];
    while (url) {
      let page: GraphPage;
      try {
        page = (await this.app.graph.http.get<GraphPage>(url)).data;
      } catch (error) {
        const status = (error as { response?: { status?: number } }).response?.status;
        if (status === 404) throw new NotFoundError(`Entra group ${groupId} does not exist`);
        throw error;
      }
      for (const user of page.value ?? []) if (user.id && user.accountEnabled !== false) members.push(`teams:${user.id}`);
      url = page['@odata.nextLink'];
    }
    return members;
  }
}
