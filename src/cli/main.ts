#!/usr/bin/env node
// one-shot.js first: it configures zod before any schema is built.
import './one-shot.js';
import { runCommand } from './run-command.js';

void runCommand(process.argv.slice(2));
