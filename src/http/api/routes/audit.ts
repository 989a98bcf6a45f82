import { z } from 'zod';
import { InvalidInputError } from '../../../core/errors.js';
import type { AuditRecord as AuditRecordValue } from '../../../core/model.js';
import { auditExportHeader, auditExportLine } from '../../../csv.js';
import { ok, route, type ApiRoute } from '../api-route.js';
import { AuditQuery, AuditRecord, AuditVerification, AuditVerifyQuery } from '../schemas.js';
import { parseAnchor } from '../../../core/use-cases/audit-log.js';

const AUDIT_READERS = ['admin', 'auditor'] as const;

export const auditRoutes: ApiRoute[] = [
  route({
    method: 'GET', path: '/audit', tag: 'audit', kind: 'read', scopes: AUDIT_READERS,
    summary: 'Audit records with filters: a page as JSON, or the whole selection streamed as JSON Lines or CSV',
    query: AuditQuery,
    responses: {
      200: {
        description: '`json`: a page with `nextCursor`; `jsonl`/`csv`: every matching record in sequence order',
        schema: z.object({ items: z.array(AuditRecord), nextCursor: z.string().nullable() }).meta({ id: 'AuditPage' }),
        contentTypes: ['application/json', 'application/x-ndjson', 'text/csv'],
      },
    },
    handle: async ({ elevate, actor, query }) => {
      if (query.cursor !== undefined && !/^\d{1,15}$/.test(query.cursor)) throw new InvalidInputError('cursor is not one this API returned', { field: 'cursor' });
      const filter = { from: query.from, to: query.to, actor: query.actor, subject: query.subject, action: query.action, afterSeq: query.cursor ? Number(query.cursor) : undefined };
      const records = elevate.exportAudit(actor(), filter);
      const format = query.format;
      if (format === 'json') {
        const items: AuditRecordValue[] = [];
        let more = false;
        for await (const record of records) {
          if (items.length === query.limit) {
            more = true;
            break;
          }
          items.push(record);
        }
        return ok({ items, nextCursor: more ? String(items[items.length - 1]!.seq) : null });
      }
      // Authorization is checked when the first record is asked for: do it before the 200 goes out.
      const first = await records.next();
      return {
        status: 200,
        contentType: format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
        stream: async (res) => {
          // A client that goes away stops the export (a write waiting for 'drain' would wait forever).
          let gone = false;
          res.once('close', () => { gone = true; });
          const write = (line: string) => new Promise<void>((resolve) => {
            if (res.write(`${line}\n`)) resolve();
            else {
              res.once('drain', resolve);
              res.once('close', resolve);
            }
          });
          const header = auditExportHeader(format);
          if (header !== null) await write(header);
          if (!first.done) await write(auditExportLine(first.value, format));
          for await (const record of records) {
            if (gone) break;
            await write(auditExportLine(record, format));
          }
        },
      };
    },
  }),
  route({
    method: 'GET', path: '/audit/verify', tag: 'audit', kind: 'read', scopes: AUDIT_READERS,
    summary: 'Recompute the keyed hash chain and check published heads; names the first altered, missing or cut record',
    query: AuditVerifyQuery,
    responses: { 200: { description: 'the verification (`ok: false` names the problem)', schema: AuditVerification } },
    handle: async ({ elevate, actor, query }) => {
      const anchors = query.anchor ? query.anchor.split(',').map((text) => parseAnchor(text)) : [];
      if (anchors.length > 100) throw new InvalidInputError('at most 100 anchors per verification', { field: 'anchor' });
      return ok(await elevate.verifyAudit(actor(), { anchors }));
    },
  }),
];
