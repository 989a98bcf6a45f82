import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Asset {
  path: string;
  type: string;
  body: Buffer;
  etag: string;
}

const here = dirname(fileURLToPath(import.meta.url));

/** src/web/assets, whether running from the sources (tests) or from dist/src/web. */
function assetsFolder(): string {
  for (const candidate of [join(here, 'assets'), join(here, '..', '..', '..', 'src', 'web', 'assets')]) {
    if (existsSync(join(candidate, 'console.css'))) return candidate;
  }
  throw new Error(`the web console's assets are missing (looked in ${here}/assets and src/web/assets)`);
}

function asset(name: string, type: string, body: Buffer): Asset {
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 16);
  return { path: `/assets/${name}?v=${hash}`, type, body, etag: `"${hash}"` };
}

/**
 * The console's own stylesheet and script, and Chart.js (its UMD build, from the installed
 * package): served by Elevate, never from a CDN. Addresses carry a content hash, so browsers
 * may keep them forever.
 */
export function loadAssets(): { css: Asset; js: Asset; chart: Asset; byName: Map<string, Asset> } {
  const folder = assetsFolder();
  const css = asset('console.css', 'text/css; charset=utf-8', readFileSync(join(folder, 'console.css')));
  const js = asset('console.js', 'text/javascript; charset=utf-8', readFileSync(join(folder, 'console.js')));
  // chart.js exports no path to its UMD build: find it beside the CommonJS entry.
  const chartDir = dirname(createRequire(import.meta.url).resolve('chart.js'));
  const chart = asset('chart.umd.min.js', 'text/javascript; charset=utf-8', readFileSync(join(chartDir, 'chart.umd.min.js')));
  return { css, js, chart, byName: new Map([css, js, chart].map((a) => [a.path.slice('/assets/'.length).split('?')[0]!, a])) };
}
