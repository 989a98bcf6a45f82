import { InvalidInputError } from './errors.js';
import { TARGET_TYPES, type Target, type TargetType } from './model.js';

// Generous but bounded: names are shown on cards and buttons.
const MAX_TARGET_LENGTH = 200;

/** Parses `Scope\Name` (e.g. `Exchange\Search-Mailbox`) into a target of the given type. */
export function parseTarget(type: TargetType, text: string): Target {
  if (!TARGET_TYPES.includes(type)) {
    throw new InvalidInputError(`target type "${type}" is unknown: use task, role or roleGroup`, { field: 'type' });
  }
  const name = text.trim();
  const separator = name.indexOf('\\');
  if (separator <= 0 || separator === name.length - 1) {
    throw new InvalidInputError(
      `target "${text}" must be written Scope\\Name, e.g. Exchange\\Search-Mailbox`,
      { field: 'target' },
    );
  }
  if (name.length > MAX_TARGET_LENGTH || hasControlCharacters(name)) {
    throw new InvalidInputError(`target "${text}" is too long or contains control characters`, { field: 'target' });
  }
  return { type, scope: name.slice(0, separator).trim(), name };
}

function hasControlCharacters(text: string): boolean {
  return [...text].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f);
}

/** The case-insensitive key under which a target is unique. */
export function targetKey(name: string): string {
  return name.trim().toLowerCase();
}

export function describeTargetType(type: TargetType): string {
  return type === 'roleGroup' ? 'role group' : type;
}

/** The `limit` known names closest to `input` (by edit distance, then substring), best first. */
export function closestNames(input: string, names: string[], limit = 3): string[] {
  const wanted = targetKey(input);
  return names
    .map((name) => {
      const key = targetKey(name);
      const contains = key.includes(wanted) || wanted.includes(key.split('\\').pop() ?? key);
      return { name, score: editDistance(wanted, key) - (contains ? 100 : 0) };
    })
    .sort((a, b) => a.score - b.score || a.name.localeCompare(b.name))
    .slice(0, limit)
    .map((scored) => scored.name);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
