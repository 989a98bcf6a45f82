import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { ElevateError, InvalidInputError } from '../core/errors.js';

// Documents are written by people and kept in git: a megabyte is far beyond any real one (DESIGN rule 11).
export const MAX_DOCUMENT_BYTES = 1024 * 1024;
// Enough of a broken document's problems to fix it in one go, without flooding the terminal.
const MAX_REPORTED_ISSUES = 10;
// YAML aliases expand; a small document must not become a huge one (a "billion laughs").
const MAX_ALIAS_COUNT = 100;

/** A YAML text read with line numbers, so problems can name where they are. */
export class YamlSource {
  private constructor(readonly name: string, private readonly doc: Document, private readonly lines: LineCounter) {}

  /** Parses YAML; InvalidInputError naming the line of each syntax problem. */
  static parse(text: string, name: string): YamlSource {
    if (Buffer.byteLength(text, 'utf8') > MAX_DOCUMENT_BYTES) {
      throw new InvalidInputError(`${name} is larger than ${MAX_DOCUMENT_BYTES / 1024} KiB`, { field: 'document' });
    }
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length > 0) {
      const problems = doc.errors.slice(0, MAX_REPORTED_ISSUES).map((e) => `${name}:${e.linePos?.[0].line ?? '?'}: ${e.message.split('\n')[0]}`);
      throw new InvalidInputError(problems.join('\n'), { field: 'document', line: doc.errors[0]!.linePos?.[0].line ?? null });
    }
    return new YamlSource(name, doc, lines);
  }

  /** The document as plain values. */
  value(): unknown {
    return this.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  }

  /** The line (1-based) of the value at `path`, or of its closest parent written in the document. */
  lineOf(path: ReadonlyArray<PropertyKey>): number {
    for (let length = path.length; length >= 0; length -= 1) {
      const node = length === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, length) as unknown[], true);
      if (isNode(node) && node.range) return this.lines.linePos(node.range[0]).line;
    }
    return 1;
  }

  /** Parses the value with a schema; InvalidInputError naming the line and field of each problem. */
  check<S extends z.ZodType>(schema: S): z.output<S> {
    const result = schema.safeParse(this.value());
    if (result.success) return result.data;
    const issues = result.error.issues.slice(0, MAX_REPORTED_ISSUES);
    const problems = issues.map((issue) => {
      const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
      const path = keys.length > 0 ? [...issue.path, keys[0]!] : issue.path;
      return `${this.name}:${this.lineOf(path)}: ${fieldName(path) || '(document)'}: ${issue.message}`;
    });
    const first = issues[0]!;
    throw new InvalidInputError(problems.join('\n'), { field: fieldName(first.path) || 'document', line: this.lineOf(first.path) });
  }

  /** Adds the line and field of `path` to a refusal about that part of the document (keeping its code). */
  locate(error: unknown, path: ReadonlyArray<PropertyKey>): unknown {
    if (error instanceof ElevateError) {
      const line = this.lineOf(path);
      error.message = `${this.name}:${line}: ${fieldName(path)}: ${error.message}`;
      Object.assign(error.details, { line, field: fieldName(path) || error.details.field });
    }
    return error;
  }
}

/** `policies[2].approvalsRequired` */
export function fieldName(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}
