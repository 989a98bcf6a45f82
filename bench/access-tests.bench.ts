/**
 * Access tests (issue 16). With 200 policies and 20 approver/eligible groups of 50 members on a
 * SQLite file, measures `elevate policy test` on 1,000 cases: reading the YAML test file and
 * running every case in process (target under 1 s), the same against a planned document, and the
 * whole CLI command as a pre-commit hook runs it (a new process: start-up included, shown for
 * comparison). Prints figures; asserts nothing.
 * Run: npm run bench:access   (CASES, POLICIES to change sizes)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import type { Actor } from '../src/core/ports.js';
import { createEngine } from '../src/main.js';
import { readAccessTests } from '../src/policy-document/access-tests.js';
import { readPolicyDocument, writePolicyDocument } from '../src/policy-document/document.js';

const CASES = Number(process.env.CASES ?? 1000);
const POLICIES = Number(process.env.POLICIES ?? 200);
const GROUPS = 20;
const MEMBERS = 50;
const ROUNDS = 5;

const dir = mkdtempSync(join(tmpdir(), 'elevate-access-bench-'));
const env = { ...process.env, DATABASE_URL: join(dir, 'elevate.db'), ELEVATE_SIGNING_KEY_FILE: join(dir, 'signing.key'), ELEVATE_ADMINS: 'slack:UADMIN', LOG_LEVEL: 'silent' };
const engine = await createEngine(loadConfig(env));
const operator: Actor = { kind: 'operator', origin: 'cli' };

try {
  // The configuration, applied as one document.
  const groups = Array.from({ length: GROUPS }, (_, g) => `  team${g}:\n    members:\n${Array.from({ length: MEMBERS }, (_, m) => `      - slack:U${g}X${m}\n`).join('')}`).join('');
  const policies = Array.from({ length: POLICIES }, (_, p) => [
    `  - ${p % 3 === 0 ? 'task' : 'role'}: Bench\\Target-${p}`,
    `    approval: ${p % 4 === 0 ? 'auto' : 'manual'}`,
    `    approverGroup: team${p % GROUPS}`,
    `    approvalsRequired: ${1 + (p % 2)}`,
    '    maxDuration: 8h',
    ...(p % 5 === 0 ? [`    eligibleGroup: team${(p + 1) % GROUPS}`] : []),
    ...(p % 7 === 0 ? ['    reasonPattern: ^(INC|CHG)[0-9]+'] : []),
  ].join('\n')).join('\n');
  const document = `groups:\n  admins:\n    description: Elevate admins (built in)\n    members: [slack:UADMIN]\n  auditors:\n    description: Elevate auditors (built in)\n    members: []\n${groups}policies:\n${policies}\n`;
  await engine.elevate.applyConfiguration(operator, readPolicyDocument(document).document);

  const cases = Array.from({ length: CASES }, (_, i) => {
    const p = i % POLICIES;
    const member = `slack:U${(p + 1) % GROUPS}X${i % MEMBERS}`;
    const outcome = p % 4 === 0 ? '    expect: auto' : `    expect: approval\n    group: team${p % GROUPS}\n    count: ${1 + (p % 2)}`;
    return `  - person: ${member}\n    target: Bench\\Target-${p}\n    duration: 2h\n    reason: INC${i}\n${outcome}`;
  }).join('\n');
  const testsText = `cases:\n${cases}\n`;
  const testsFile = join(dir, 'access-tests.yaml');
  const planFile = join(dir, 'elevate.yaml');
  writeFileSync(testsFile, testsText);
  writeFileSync(planFile, writePolicyDocument(await engine.elevate.exportConfiguration(operator)));

  const timed = async (work: () => Promise<number>) => {
    const times: number[] = [];
    let failed = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      const start = performance.now();
      failed = await work();
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    return { median: times[Math.floor(times.length / 2)]!, best: times[0]!, failed };
  };
  const current = await timed(async () => {
    const { cases: parsed } = readAccessTests(testsText, 'access-tests.yaml');
    return (await engine.elevate.runAccessTests(operator, parsed)).filter((r) => !r.pass).length;
  });
  const planned = await timed(async () => {
    const { cases: parsed } = readAccessTests(testsText, 'access-tests.yaml');
    const doc = readPolicyDocument(writePolicyDocument(await engine.elevate.exportConfiguration(operator))).document;
    return (await engine.elevate.runAccessTests(operator, parsed, doc)).filter((r) => !r.pass).length;
  });
  await engine.close();

  const cliStart = performance.now();
  const cli = spawnSync(process.execPath, [join(import.meta.dirname, '../src/cli/main.js'), 'policy', 'test', '-f', testsFile, '--plan', planFile], { env, encoding: 'utf8' });
  const cliMs = performance.now() - cliStart;
  const versionStart = performance.now();
  const version = spawnSync(process.execPath, [join(import.meta.dirname, '../src/cli/main.js'), '--version'], { env, encoding: 'utf8' });
  const startMs = performance.now() - versionStart;

  console.log(`access tests: ${CASES} cases, ${POLICIES} policies, ${GROUPS} groups of ${MEMBERS} members (SQLite file), median of ${ROUNDS} rounds`);
  console.log(`  current configuration: ${current.median.toFixed(1)} ms (best ${current.best.toFixed(1)} ms), ${(CASES / (current.median / 1000)).toFixed(0)} cases/s, ${current.failed} mismatches (target: under 1000 ms)`);
  console.log(`  planned document:      ${planned.median.toFixed(1)} ms (best ${planned.best.toFixed(1)} ms), ${planned.failed} mismatches`);
  console.log(`  whole CLI process (elevate policy test --plan): ${cliMs.toFixed(0)} ms, exit ${cli.status}; of which process start-up (elevate --version): ${startMs.toFixed(0)} ms${version.status === 0 ? '' : ' (failed)'}`);
  console.log(`  ratio in-process / target: ${(current.median / 1000).toFixed(3)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
