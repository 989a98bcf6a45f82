import type { FormField } from './adaptive-cards.js';

/** Reading what a click on one of Elevate's Adaptive Cards carried. */

/** What a click on one of our card actions carried, inputs picked out. */
export interface ActionSubmission {
  /** The neutral action's value (a request or grant id). */
  value: string;
  /** Trimmed; null when absent or empty. */
  comment: string | null;
  duration: string | null;
  reason: string | null;
}

/**
 * Reads `activity.value.action.data` of an `adaptiveCard/action` invoke sent by a card from
 * cardToAdaptiveCard: the `value` and, for ShowCard actions, the inputs of that action's own
 * form (ids `<form>.comment`, `<form>.duration`, `<form>.reason`). Returns null when `data` has
 * no string `value` (not one of our actions, or a forged payload; the core re-checks anyway).
 */
export function readActionSubmission(data: unknown): ActionSubmission | null {
  if (!isRecord(data) || typeof data.value !== 'string' || data.value === '') return null;
  const form = typeof data.form === 'string' ? data.form : null;
  const input = (name: string) => (form === null ? null : text(data[`${form}.${name}`]));
  return { value: data.value, comment: input('comment'), duration: input('duration'), reason: input('reason') };
}

/** Reads the request form's inputs from `activity.value.action.data`; absent or empty fields are null. */
export function readRequestForm(data: unknown): Record<FormField, string | null> {
  const source = isRecord(data) ? data : {};
  return { target: text(source.target), duration: text(source.duration), reason: text(source.reason), ticket: text(source.ticket) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}
