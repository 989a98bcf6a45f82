#!/usr/bin/env node
import { EXIT } from './contract.js';
import { runCli } from './program.js';

// A reader that stops early (`elevate audit export | head`) closes the pipe: that is not an
// error, so end quietly instead of dying with an EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.done);
    throw error;
  });
}

const failed = await runCli(process.argv);
if (failed !== undefined) process.exitCode = failed;
