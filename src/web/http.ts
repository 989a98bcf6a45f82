import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidInputError } from '../core/errors.js';
import type { Html } from './html.js';

// Console forms are small (a policy form is the largest); refuse more before reading it all.
const MAX_FORM_BYTES = 32 * 1024;

/** Reads an `application/x-www-form-urlencoded` body, at most MAX_FORM_BYTES. */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') throw new InvalidInputError('send the form as application/x-www-form-urlencoded');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) throw new InvalidInputError(`the form is larger than ${MAX_FORM_BYTES / 1024} KiB`);
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at <= 0) continue;
    const name = part.slice(0, at).trim();
    if (!cookies.has(name)) cookies.set(name, part.slice(at + 1).trim());
  }
  return cookies;
}

export interface CookieOptions {
  secure: boolean;
  sameSite: 'Strict' | 'Lax';
  /** Seconds; 0 deletes the cookie; absent: a browser-session cookie. */
  maxAge?: number;
}

export function cookie(name: string, value: string, options: CookieOptions): string {
  const parts = [`${name}=${value}`, 'Path=/', 'HttpOnly', `SameSite=${options.sameSite}`];
  if (options.secure) parts.push('Secure');
  if (options.maxAge !== undefined) parts.push(`Max-Age=${options.maxAge}`);
  return parts.join('; ');
}

/**
 * Headers of every console answer: a strict Content Security Policy (scripts, styles and images
 * only from Elevate itself, no inline script or style, no framing, forms only to Elevate), no
 * sniffing, no referrer to other sites (request ids and filters stay private; same-origin keeps
 * the Origin header that changes are checked by), no caching of pages.
 * `hsts`: the console is served over https (ELEVATE_PUBLIC_URL), so browsers keep to it.
 */
export function securityHeaders(options: { hsts: boolean }): Record<string, string> {
  return {
    'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
      + "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'same-origin',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
    ...(options.hsts ? { 'strict-transport-security': 'max-age=31536000' } : {}),
  };
}

export function sendHtml(res: ServerResponse, status: number, page: Html, headers: Record<string, string | string[]> = {}): void {
  const body = page.text;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', ...headers,
  });
  res.end(body);
}

/** 303 See Other: after a form, the browser loads the target with GET (post/redirect/get). */
export function redirect(res: ServerResponse, location: string, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(303, { location, 'cache-control': 'no-store', 'content-length': 0, ...headers });
  res.end();
}

/** A console path to return to after signing in: only local paths, never another site. */
export function safeReturnPath(value: string | null | undefined): string {
  const path = value ?? '/';
  return /^\/(?![/\\])[\x21-\x7e]{0,500}$/.test(path) ? path : '/';
}
