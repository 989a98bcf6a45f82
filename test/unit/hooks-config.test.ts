import { keyringFromSecret } from '../../src/keys.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { engineConfig } from '../../src/main.js';

const SECRET = '0123456789abcdef';
const hooksOf = (value: string) => loadConfig({ ELEVATE_HOOKS: value }).ELEVATE_HOOKS;

describe('ELEVATE_HOOKS', () => {
  it('accepts https webhooks, local http receivers and commands; defaults to none', () => {
    expect(loadConfig({})).toMatchObject({ ELEVATE_HOOKS: {}, ELEVATE_HOOK_MAX_ATTEMPTS: 10, ELEVATE_HOOK_ALERT_AFTER: 5 });
    const hooks = {
      'exchange-rbac': { url: 'https://hooks.example.com/elevate', secret: SECRET },
      local: { url: 'http://127.0.0.1:8080/hook', secret: SECRET },
      v6: { url: 'http://[::1]:8080/hook', secret: SECRET },
      script: { command: ['/usr/local/bin/assign-role', '--tenant', 'contoso'], timeoutSeconds: 60 },
    };
    expect(hooksOf(JSON.stringify(hooks))).toEqual(hooks);
  });

  it.each([
    ['{"a":{"url":"http://hooks.example.com/x","secret":"0123456789abcdef"}}', /ELEVATE_HOOKS.*https/],
    ['{"a":{"url":"https://hooks.example.com/x","secret":"short"}}', /at least 16 characters/],
    ['{"Bad_Name":{"command":["/bin/true"]}}', /hook names are lower-case/],
    ['{"a":{"command":[]}}', /must name the program/],
    ['{"a":{"command":"/bin/true --flag"}}', /ELEVATE_HOOKS/],
    ['{"a":{"command":["/bin/true"],"url":"https://x.example"}}', /ELEVATE_HOOKS/],
    ['{"a":{"command":["/bin/true"],"timeoutSeconds":3600}}', /ELEVATE_HOOKS/],
    ['not json', /ELEVATE_HOOKS: must be a JSON object of hooks by name .* not JSON/],
  ])('refuses %s', (value, message) => {
    expect(() => hooksOf(value)).toThrow(message);
  });

  it('may be an object in the ELEVATE_CONFIG file; the known names reach the engine', () => {
    const dir = mkdtempSync(join(tmpdir(), 'elevate-config-'));
    try {
      const file = join(dir, 'elevate.json');
      writeFileSync(file, JSON.stringify({ ELEVATE_HOOKS: { 'exchange-rbac': { url: 'https://h.example/x', secret: SECRET } }, ELEVATE_HOOK_ALERT_AFTER: 7 }));
      const config = loadConfig({ ELEVATE_CONFIG: file });
      expect(Object.keys(config.ELEVATE_HOOKS)).toEqual(['exchange-rbac']);
      expect(engineConfig(config, keyringFromSecret('k'.repeat(32)))).toMatchObject({ hooks: ['exchange-rbac'], hookMaxAttempts: 10, hookAlertAfter: 7 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
