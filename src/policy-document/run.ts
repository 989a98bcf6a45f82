import type { Elevate } from '../core/elevate.js';
import { ElevateError } from '../core/errors.js';
import type { Actor } from '../core/ports.js';
import { readPolicyDocument } from './document.js';
import type { YamlSource } from './source.js';

export interface DocumentRunOptions {
  /** What happens to active grants of removed policies. */
  activeGrants?: 'end' | 'keep';
}

/** A refusal about a part of the document (the core says which: `details.documentPath`) names its line. */
async function located<T>(source: YamlSource, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    const path = error instanceof ElevateError ? error.details.documentPath : undefined;
    if (Array.isArray(path)) throw source.locate(error, path as PropertyKey[]);
    throw error;
  }
}

/** Plans a policy document given as YAML text (CLI and REST API). */
export async function planPolicyDocument(elevate: Elevate, actor: Actor, text: string, name: string, options: DocumentRunOptions = {}) {
  const { document, source } = readPolicyDocument(text, name);
  return located(source, elevate.planConfiguration(actor, document, options));
}

/** Applies a policy document given as YAML text as one change (CLI and REST API). */
export async function applyPolicyDocument(elevate: Elevate, actor: Actor, text: string, name: string, options: DocumentRunOptions = {}) {
  const { document, source } = readPolicyDocument(text, name);
  return located(source, elevate.applyConfiguration(actor, document, options));
}
