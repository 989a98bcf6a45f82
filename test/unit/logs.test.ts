import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/main.js';

function capture() {
  const chunks: string[] = [];
  return { chunks, stream: new Writable({ write(chunk: Buffer, _encoding, done) { chunks.push(chunk.toString()); done(); } }) };
}

describe('logs', () => {
  it('LOG_FORMAT=pretty writes readable lines (pino-pretty), secrets still redacted', async () => {
    const { chunks, stream } = capture();
    const logger = createLogger({ LOG_LEVEL: 'info', LOG_FORMAT: 'pretty' }, stream);
    logger.info({ port: 3000, token: 'xoxb-secret' }, 'Elevate is serving');
    // Poll (generously) rather than assume when the formatter has written.
    for (let i = 0; i < 250 && !chunks.join('').includes('token'); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    const text = chunks.join('');
    expect(text).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] INFO: Elevate is serving\n {4}port: 3000\n {4}token: "\[Redacted\]"\n$/);
    expect(text).not.toContain('{"level"');
  });

  it('JSON lines otherwise (and by default when the output is not a terminal)', () => {
    const { chunks, stream } = capture();
    createLogger({ LOG_LEVEL: 'info' }, stream).info({ port: 3000 }, 'Elevate is serving');
    expect(JSON.parse(chunks.join(''))).toMatchObject({ level: 30, service: 'elevate', port: 3000, msg: 'Elevate is serving' });
  });
});
