/** Length-fitting helpers shared by the platform serializers (each keeps its own limits and escaping). */

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/**
 * Text split into units a cut may not enter: whole matches of `atomic` (a global pattern for the
 * platform's escape sequences, e.g. `&amp;` or `\*`) and grapheme clusters (so no emoji or
 * surrogate pair is split).
 */
export function* cutUnits(text: string, atomic: RegExp): Generator<string> {
  let last = 0;
  for (const match of text.matchAll(atomic)) {
    const at = match.index;
    for (const { segment } of graphemes.segment(text.slice(last, at))) yield segment;
    yield match[0];
    last = at + match[0].length;
  }
  for (const { segment } of graphemes.segment(text.slice(last))) yield segment;
}

/**
 * Caps for items of the given sizes so their sum stays within `budget`: items at or under the
 * fair share keep their size, larger ones share what is left equally ("water filling").
 */
export function shareBudget(sizes: number[], budget: number): number[] {
  if (sizes.reduce((sum, n) => sum + n, 0) <= budget) return sizes;
  const ascending = [...sizes].sort((a, b) => a - b);
  let left = budget;
  let cap = 0;
  for (let i = 0; i < ascending.length; i += 1) {
    const share = Math.floor(left / (ascending.length - i));
    if (ascending[i]! > share) {
      cap = share;
      break;
    }
    left -= ascending[i]!;
  }
  return sizes.map((n) => Math.min(n, cap));
}
