/**
 * Builds the Teams app package: a zip with manifest.json and its two icons at the root, ready to
 * upload in Teams (Apps → Manage your apps → Upload an app) or the Teams admin center.
 *
 *   TEAMS_APP_ID=<the bot's Microsoft App ID> npm run package:teams   → dist/elevate-teams.zip
 *
 * manifest/teams/manifest.json carries the placeholder GUID 00000000-0000-4000-8000-000000000000 as
 * both the app id and the bot id so that it validates as it is; the package gets TEAMS_APP_ID (the
 * same variable Elevate reads at run time) in both places instead. Without a valid TEAMS_APP_ID the
 * script writes nothing and exits 1: a package with the placeholder would install a bot nobody runs.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { zipSync, type Zippable } from 'fflate';

/** The GUID manifest.json ships with; replace it (TEAMS_APP_ID) before uploading. */
export const PLACEHOLDER_APP_ID = '00000000-0000-4000-8000-000000000000';
/** The manifest schema's `guid` pattern. */
const GUID = /^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/;
/** Teams rejects icons of other sizes (Teams docs, "App icons"). */
const ICON_SIZES = { color: 192, outline: 32 } as const;
/** A fixed entry time keeps the zip byte-identical between runs (zip times start in 1980). */
const ENTRY_TIME = new Date(2024, 0, 1);

export interface PackageTeamsOptions {
  /** Where to write the zip; its folder is created. */
  outFile: string;
  /** The bot's Microsoft App ID, written as the app id and the bot id. Must be a GUID. */
  appId?: string;
  /** Folder holding manifest.json and the icons; default manifest/teams of this repository. */
  sourceDir?: string;
}

/** manifest/teams of this repository, found from this file whether it runs from scripts/ or dist/scripts/. */
export function findTeamsManifestDir(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'manifest', 'teams');
    if (existsSync(join(candidate, 'manifest.json'))) return candidate;
    if (dirname(dir) === dir) throw new Error(`no manifest/teams/manifest.json above ${from}`);
  }
}

/** Width and height from a PNG's IHDR chunk; throws if `png` is not a PNG. */
export function readPngSize(png: Uint8Array): { width: number; height: number } {
  const bytes = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  const signature = '89504e470d0a1a0a';
  if (bytes.length < 24 || bytes.subarray(0, 8).toString('hex') !== signature || bytes.subarray(12, 16).toString('latin1') !== 'IHDR') {
    throw new Error('not a PNG');
  }
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

interface TeamsManifest {
  id: string;
  icons: { color: string; outline: string };
  bots?: Array<{ botId: string }>;
  [key: string]: unknown;
}

/**
 * Writes the Teams app zip (manifest.json, then the colour and outline icons named by the manifest, all
 * at the root) and returns its entry names. Throws if `appId` is not a GUID, an icon is missing or has
 * the wrong size.
 */
export async function packageTeamsApp(options: PackageTeamsOptions): Promise<string[]> {
  const sourceDir = options.sourceDir ?? findTeamsManifestDir();
  const manifest = JSON.parse(await readFile(join(sourceDir, 'manifest.json'), 'utf8')) as TeamsManifest;
  if (options.appId !== undefined) {
    if (!GUID.test(options.appId)) throw new Error(`TEAMS_APP_ID must be a GUID (the bot's Microsoft App ID), got "${options.appId}"`);
    manifest.id = options.appId;
    for (const bot of manifest.bots ?? []) bot.botId = options.appId;
  }
  const entries: Zippable = {
    'manifest.json': [new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`), { mtime: ENTRY_TIME }],
  };
  for (const kind of ['color', 'outline'] as const) {
    const name = manifest.icons[kind];
    if (name.includes('/') || name.includes('\\')) throw new Error(`icons.${kind} must name a file at the package root, got "${name}"`);
    const png = await readFile(join(sourceDir, name));
    const { width, height } = readPngSize(png);
    const size = ICON_SIZES[kind];
    if (width !== size || height !== size) throw new Error(`${name} is ${width}×${height}; Teams needs ${size}×${size}`);
    entries[name] = [png, { mtime: ENTRY_TIME }];
  }
  await mkdir(dirname(resolve(options.outFile)), { recursive: true });
  await writeFile(options.outFile, zipSync(entries, { level: 9 }));
  return Object.keys(entries);
}

/** The app id the package must carry: TEAMS_APP_ID, a GUID, not the placeholder. Throws saying how to fix it. */
export function appIdForPackage(value: string | undefined): string {
  const appId = value?.trim();
  if (!appId) throw new Error('TEAMS_APP_ID is not set: run TEAMS_APP_ID=<the bot\'s Microsoft App ID> npm run package:teams (adapters/teams/README.md, step 2)');
  if (!GUID.test(appId)) throw new Error(`TEAMS_APP_ID must be a GUID (the bot's Microsoft App ID), got "${appId}"`);
  if (appId.toLowerCase() === PLACEHOLDER_APP_ID) throw new Error(`TEAMS_APP_ID is the manifest's placeholder ${PLACEHOLDER_APP_ID}: use the bot's own Microsoft App ID`);
  return appId;
}

async function main(): Promise<void> {
  const appId = appIdForPackage(process.env.TEAMS_APP_ID);
  const manifestDir = findTeamsManifestDir();
  const outFile = join(manifestDir, '..', '..', 'dist', 'elevate-teams.zip');
  const entries = await packageTeamsApp({ outFile, appId, sourceDir: manifestDir });
  console.log(`wrote ${outFile} for app ${appId}: ${entries.join(', ')}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
