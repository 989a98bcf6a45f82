import type { Db } from './database.js';

/** How to reach a person or channel proactively on a platform that needs a stored conversation. */
export interface ConversationRef {
  /** `user:teams:<aad object id>` for people, `conversation:teams:<id>` for where a conversation's activities come from, `feed:teams`, `channel:teams:<id>`. */
  key: string;
  platform: string;
  conversationId: string;
  serviceUrl: string;
  tenantId: string | null;
  /** The platform's own id of the user (Teams: `29:…`), needed for user-specific card views. */
  platformUserId: string | null;
}

/** Conversation references kept by chat adapters (Teams), outside the core's transactions. */
export class ConversationRefs {
  constructor(private readonly db: Db, private readonly now: () => string) {}

  async get(key: string): Promise<ConversationRef | undefined> {
    return (await this.getMany([key]))[0];
  }

  async getMany(keys: string[]): Promise<ConversationRef[]> {
    if (keys.length === 0) return [];
    const rows = await this.db.selectFrom('conversation_refs').selectAll().where('ref_key', 'in', keys).execute();
    return rows.map((row) => ({
      key: row.ref_key, platform: row.platform, conversationId: row.conversation_id, serviceUrl: row.service_url,
      tenantId: row.tenant_id, platformUserId: row.platform_user_id,
    }));
  }

  /** Saves or replaces a reference (the latest conversation wins). */
  async save(ref: ConversationRef): Promise<void> {
    const row = {
      ref_key: ref.key, platform: ref.platform, conversation_id: ref.conversationId, service_url: ref.serviceUrl,
      tenant_id: ref.tenantId, platform_user_id: ref.platformUserId, updated_at: this.now(),
    };
    await this.db.insertInto('conversation_refs').values(row)
      .onConflict((oc) => oc.column('ref_key').doUpdateSet({
        conversation_id: row.conversation_id, service_url: row.service_url, tenant_id: row.tenant_id,
        platform_user_id: (eb) => eb.fn.coalesce(eb.ref('excluded.platform_user_id'), eb.ref('conversation_refs.platform_user_id')),
        updated_at: row.updated_at,
      }))
      .execute();
  }
}
