import type { Command } from 'commander';
import type * as z from 'zod';
import { commandPage, type ManPage, type PageHeader, subcommands } from './command-page.js';
import { configPage } from './config-page.js';
import { programPage } from './program-page.js';

/** Every page: roster(1), roster-<command>(1) for each top-level command, roster.yaml(5) with the targets' host sections. */
export function manPages(program: Command, config: z.ZodType, header: PageHeader, targets: Readonly<Record<string, z.ZodType>> = {}, typeTargets: Readonly<Record<string, z.ZodType>> = {}): ManPage[] {
  return [programPage(program, header), ...subcommands(program).map((c) => commandPage(c, header)), configPage(config, header, targets, typeTargets)];
}
