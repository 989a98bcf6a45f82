import type { Directory } from './ports.js';

/**
 * A Directory that tells `onChanged` whenever a platform group's members differ from the last
 * time this instance read them (the first read of each group counts as a change). Resolution
 * happens outside transactions, so `onChanged` may run its own. A failing `onChanged` leaves the
 * members unchanged for the caller and is tried again at the next read.
 */
export function watchingDirectory(directory: Directory, onChanged: (ref: string, members: string[]) => Promise<void>): Directory {
  const lastSeen = new Map<string, string>();
  return {
    async resolveGroupMembers(ref: string): Promise<string[]> {
      const members = await directory.resolveGroupMembers(ref);
      const seen = [...new Set(members)].sort().join('\n');
      if (lastSeen.get(ref) !== seen) {
        try {
          await onChanged(ref, members);
          lastSeen.set(ref, seen);
        } catch {
          // Noticing is advisory: the caller's work goes on; the next read tries again.
        }
      }
      return members;
    },
  };
}
