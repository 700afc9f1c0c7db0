#!/usr/bin/env node
import { runCli } from './program.js';

const code = await runCli(process.argv);
// A failed command may leave connections open; success ends when its work does.
if (code !== 0) process.exit(code);
