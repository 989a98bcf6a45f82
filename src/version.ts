import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * Elevate's version, from its package.json: the nearest one above this file (the same code runs
 * from src/ in tests and from dist/src/ once built).
 */
export function packageVersion(): string {
  if (cached) return cached;
  for (let folder = dirname(fileURLToPath(import.meta.url)); ; folder = dirname(folder)) {
    const file = join(folder, 'package.json');
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'elevate' && manifest.version) return (cached = manifest.version);
    }
    if (dirname(folder) === folder) throw new Error('cannot find Elevate\'s package.json');
  }
}
