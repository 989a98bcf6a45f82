import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import AjvDraft04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USAGE } from '../../adapters/chat/command-grammar.js';
import { encodePng, renderColorIcon, renderOutlineIcon } from '../../scripts/make-teams-icons.js';
import { PLACEHOLDER_APP_ID, appIdForPackage, findTeamsManifestDir, packageTeamsApp, readPngSize } from '../../scripts/package-teams.js';

interface Command { title: string; description: string }
interface Manifest {
  manifestVersion: string;
  id: string;
  icons: { color: string; outline: string };
  accentColor: string;
  bots: Array<{ botId: string; scopes: string[]; commandLists: Array<{ scopes: string[]; commands: Command[] }> }>;
}

const dir = findTeamsManifestDir();
const manifestText = await readFile(join(dir, 'manifest.json'), 'utf8');
const manifest = JSON.parse(manifestText) as Manifest;

/**
 * The official MicrosoftTeams.schema.json for the manifest's version, as shipped by Microsoft's
 * @microsoft/app-manifest package (devDependency): read from disk, nothing is downloaded.
 */
function validatorFor(version: string) {
  const schemaPath = createRequire(import.meta.url).resolve(`@microsoft/app-manifest/build/json-schemas/teams/v${version}/MicrosoftTeams.schema.json`);
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as object;
  // The Teams schemas are draft-04; their "uri" format needs ajv-formats.
  const ajv = new AjvDraft04.default({ allErrors: true, strict: false });
  addFormats.default(ajv);
  return ajv.compile(schema);
}

/** Decodes an 8-bit RGBA, non-interlaced PNG (what Teams icons are) into width, height and pixels. */
function decodePng(png: Buffer): { width: number; height: number; rgba: Uint8Array } {
  const { width, height } = readPngSize(png);
  const [bitDepth, colorType, , , interlace] = png.subarray(24, 29);
  if (bitDepth !== 8 || colorType !== 6 || interlace !== 0) throw new Error(`unsupported PNG: depth ${bitDepth}, colour type ${colorType}, interlace ${interlace}`);
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    const type = png.subarray(at + 4, at + 8).toString('latin1');
    if (type === 'IDAT') idat.push(png.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  const rgba = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    for (let x = 0; x < stride; x++) {
      const value = raw[y * (stride + 1) + 1 + x]!;
      const a = x >= 4 ? rgba[y * stride + x - 4]! : 0;
      const b = y > 0 ? rgba[(y - 1) * stride + x]! : 0;
      const c = x >= 4 && y > 0 ? rgba[(y - 1) * stride + x - 4]! : 0;
      const paeth = () => {
        const p = a + b - c;
        const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      };
      const predictor = [0, a, b, (a + b) >> 1, filter === 4 ? paeth() : 0][filter];
      if (predictor === undefined) throw new Error(`bad PNG filter ${filter}`);
      rgba[y * stride + x] = (value + predictor) & 0xff;
    }
  }
  return { width, height, rgba };
}

describe('Teams app manifest', () => {
  it('validates against the official schema of its version (≥ 1.16) with zero errors', () => {
    const [major, minor] = manifest.manifestVersion.split('.').map(Number);
    expect(major === 1 && minor! >= 16).toBe(true);
    const validate = validatorFor(manifest.manifestVersion);
    const valid = validate(manifest);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    expect((manifest as unknown as { $schema: string }).$schema).toContain(`/v${manifest.manifestVersion}/MicrosoftTeams.schema.json`);
  });

  it('the schema check has teeth: a bad manifest fails it', () => {
    const validate = validatorFor(manifest.manifestVersion);
    const broken = structuredClone(manifest);
    broken.id = 'not-a-guid';
    broken.bots[0]!.commandLists[0]!.commands.push(...Array.from({ length: 5 }, (_, i) => ({ title: `x${i}`, description: 'x' })));
    expect(validate(broken)).toBe(false);
    expect(validate.errors?.map((e) => e.instancePath)).toEqual(expect.arrayContaining(['/id', '/bots/0/commandLists/0/commands']));
  });

  it('uses the placeholder GUID as both the app id and the bot id', () => {
    expect(manifest.id).toBe(PLACEHOLDER_APP_ID);
    expect(manifest.bots.map((b) => b.botId)).toEqual([manifest.id]);
    expect([...manifest.bots[0]!.scopes].sort()).toEqual(['groupChat', 'personal', 'team']);
  });

  it('lists every chat command within Teams limits (titles ≤ 32, descriptions ≤ 128, 10 per list)', () => {
    const lists = manifest.bots[0]!.commandLists;
    expect(lists.flatMap((l) => l.scopes).sort()).toEqual(['groupChat', 'personal', 'team']);
    for (const list of lists) {
      expect(list.commands.length).toBeLessThanOrEqual(10); // schema: commands maxItems 10
      expect(new Set(list.commands.map((c) => c.title)).size).toBe(list.commands.length);
      for (const command of list.commands) {
        expect(command.title.length, command.title).toBeLessThanOrEqual(32); // Teams docs: title ≤ 32 characters
        expect(command.description.length, command.title).toBeLessThanOrEqual(128); // description ≤ 128
      }
    }
    const grammar = [...Object.keys(USAGE), 'audit-here'].sort();
    const listed = [...new Set(lists.flatMap((l) => l.commands.map((c) => c.title)))].sort();
    expect(listed).toEqual(grammar);
  });

  it('has a 192×192 colour icon and a 32×32 white-on-transparent outline icon, as the script draws them', async () => {
    const color = decodePng(await readFile(join(dir, manifest.icons.color)));
    const outline = decodePng(await readFile(join(dir, manifest.icons.outline)));
    expect([color.width, color.height]).toEqual([192, 192]);
    expect([outline.width, outline.height]).toEqual([32, 32]);

    const pixels = (rgba: Uint8Array) => Array.from({ length: rgba.length / 4 }, (_, i) => [...rgba.subarray(i * 4, i * 4 + 4)]);
    const outlinePixels = pixels(outline.rgba);
    const offending = outlinePixels.filter(([r, g, b, a]) => a !== 0 && (r !== 255 || g !== 255 || b !== 255));
    expect(offending).toEqual([]);
    expect(outlinePixels.some(([, , , a]) => a === 255)).toBe(true);
    expect(outlinePixels.some(([, , , a]) => a === 0)).toBe(true);
    expect(pixels(color.rgba).every(([, , , a]) => a === 255)).toBe(true); // full colour, no holes

    // The committed PNGs are what scripts/make-teams-icons.ts draws (rerun it after changing the drawing).
    expect(Buffer.from(color.rgba).equals(Buffer.from(renderColorIcon()))).toBe(true);
    expect(Buffer.from(outline.rgba).equals(Buffer.from(renderOutlineIcon()))).toBe(true);
    expect(decodePng(encodePng(2, 1, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).rgba).toEqual(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
  });
});

describe('npm run package:teams', () => {
  it('needs a real TEAMS_APP_ID: unset, not a GUID or the placeholder fails (exit 1) and writes nothing', () => {
    const script = fileURLToPath(new URL('../../dist/scripts/package-teams.js', import.meta.url));
    for (const [value, message] of [[undefined, /TEAMS_APP_ID is not set: run TEAMS_APP_ID=/], ['nope', /must be a GUID/], [PLACEHOLDER_APP_ID, /placeholder/]] as const) {
      const env = { PATH: process.env.PATH, ...(value === undefined ? {} : { TEAMS_APP_ID: value }) };
      const run = spawnSync(process.execPath, [script], { env, encoding: 'utf8', cwd: tmpdir() });
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(message);
      expect(run.stdout).toBe('');
    }
    expect(appIdForPackage(' 11111111-2222-4333-8444-555555555555 ')).toBe('11111111-2222-4333-8444-555555555555');
  });
});

describe('packageTeamsApp', () => {
  let out: string;
  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'elevate-teams-'));
  });
  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it('zips manifest.json, color.png and outline.png at the root, unchanged without an app id', async () => {
    const outFile = join(out, 'nested', 'elevate-teams.zip');
    const entries = await packageTeamsApp({ outFile });
    expect(entries).toEqual(['manifest.json', 'color.png', 'outline.png']);
    const zip = unzipSync(new Uint8Array(await readFile(outFile)));
    expect(Object.keys(zip).sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);
    expect(JSON.parse(Buffer.from(zip['manifest.json']!).toString('utf8'))).toEqual(manifest);
    expect(Buffer.from(zip['color.png']!).equals(await readFile(join(dir, 'color.png')))).toBe(true);
    expect(Buffer.from(zip['outline.png']!).equals(await readFile(join(dir, 'outline.png')))).toBe(true);

    await packageTeamsApp({ outFile: join(out, 'again.zip') });
    expect((await readFile(join(out, 'again.zip'))).equals(await readFile(outFile))).toBe(true); // reproducible
  });

  it('writes TEAMS_APP_ID into the app id and the bot id, and the result still validates', async () => {
    const appId = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
    const outFile = join(out, 'with-id.zip');
    await packageTeamsApp({ outFile, appId });
    const packaged = JSON.parse(Buffer.from(unzipSync(new Uint8Array(await readFile(outFile)))['manifest.json']!).toString('utf8')) as Manifest;
    expect(packaged.id).toBe(appId);
    expect(packaged.bots[0]!.botId).toBe(appId);
    const validate = validatorFor(packaged.manifestVersion);
    expect(validate(packaged), JSON.stringify(validate.errors)).toBe(true);
  });

  it('refuses an app id that is not a GUID', async () => {
    await expect(packageTeamsApp({ outFile: join(out, 'bad.zip'), appId: 'my-bot' })).rejects.toThrow(/must be a GUID/);
  });
});
