import type { AuditRecord } from './core/model.js';

/** CSV text (RFC 4180 quoting) with spreadsheet formula injection neutralised. */
export function csv(headers: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const escape = (cell: string | number | null | undefined) => {
    const text = cell === null || cell === undefined ? '' : String(cell);
    // A leading =, +, - or @ would be run as a formula by spreadsheets: neutralise it.
    const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
    return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  return [headers, ...rows].map((row) => row.map(escape).join(',')).join('\n');
}

const AUDIT_CSV_HEADERS = ['seq', 'at', 'actor', 'actor_identity', 'origin', 'action', 'subject', 'details', 'prev_hash', 'hash'];

/** The first line of an audit export in `format` (CSV has a header), or null. */
export function auditExportHeader(format: 'jsonl' | 'csv'): string | null {
  return format === 'csv' ? csv(AUDIT_CSV_HEADERS, []) : null;
}

/** One audit record as a line of an export (no newline). */
export function auditExportLine(record: AuditRecord, format: 'jsonl' | 'csv'): string {
  if (format === 'jsonl') return JSON.stringify(record);
  const r = record;
  return csv([], [[r.seq, r.at, r.actor, r.actorIdentity, r.origin, r.action, r.subject, JSON.stringify(r.details), r.prevHash, r.hash]]).replace(/^\n/, '');
}
