// `voicepulse export calls`: a tenant's calls in a time range, from the analytics store (embedded or
// --clickhouse), as CSV (the columns of GET /api/calls?format=csv) or JSON lines, written page by
// page (keyset pages of the query API's search) so an export of any size streams.
import type { Command } from 'commander';
import type { Settings } from '../../core/config/env.ts';
import { CALL_COLUMNS, csvLine } from '../../services/live/query/csv.ts';
import { searchCalls } from '../../services/live/query/queries.ts';
import { CliError } from '../errors.ts';
import { openAnalyticsStore } from './store.ts';

const PAGE = 500;
const DAY_MS = 86_400_000;

/** ISO 8601 (a date alone is midnight UTC) or epoch milliseconds, as the query API takes them. */
export function parseInstant(flag: string, text: string): number {
  const ms = /^\d{1,15}$/.test(text)
    ? Number(text)
    : Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (!Number.isFinite(ms)) throw new CliError(`${flag}: '${text}' is not ISO 8601 or epoch ms`, 'USAGE');
  return ms;
}

interface ExportFlags {
  from?: string;
  to?: string;
  tenant?: string;
  agent?: string;
  queue?: string;
  clickhouse?: string;
  csv?: boolean;
  json?: boolean;
}

/** Writes to stdout, waiting while its buffer is full (a pipe to a slow reader). */
async function out(text: string): Promise<void> {
  if (!process.stdout.write(text)) await new Promise((r) => process.stdout.once('drain', r));
}

export function registerExportCommand(program: Command, settings: Settings): void {
  const exp = program.command('export').description('export history from the analytics store');
  exp
    .command('calls')
    .description('calls that started in [from, to) as CSV or JSON lines (default: the last 7 days)')
    .option('--from <time>', 'ISO 8601 or epoch ms (default: 7 days before --to)')
    .option('--to <time>', 'ISO 8601 or epoch ms (default: now)')
    .option('--tenant <id>', 'tenant (default: VOICEPULSE_DEFAULT_TENANT or default)')
    .option('--agent <id>', 'only this agent’s calls')
    .option('--queue <name>', 'only this queue’s calls')
    .option(
      '--clickhouse <url>',
      'ClickHouse server instead of the embedded store (env VOICEPULSE_CLICKHOUSE_URL)',
    )
    .option('--csv', 'CSV with a header row (the default)')
    .option('--json', 'one JSON object per call per line')
    .action(async (flags: ExportFlags) => {
      if (flags.csv && flags.json) throw new CliError('--csv and --json exclude each other', 'USAGE');
      const toMs = flags.to === undefined ? Date.now() : parseInstant('--to', flags.to);
      const fromMs = flags.from === undefined ? toMs - 7 * DAY_MS : parseInstant('--from', flags.from);
      if (fromMs >= toMs) throw new CliError('--from must be before --to', 'USAGE');
      const tenant = flags.tenant ?? settings.auth.defaultTenant ?? 'default';
      const { ch } = await openAnalyticsStore(flags.clickhouse, settings);
      try {
        if (!flags.json) await out(csvLine(CALL_COLUMNS));
        let after: { key: number; callId: string } | undefined;
        do {
          const page = await searchCalls(ch, tenant, {
            fromMs,
            toMs,
            sort: 'recent',
            limit: PAGE,
            ...(flags.agent ? { agentId: flags.agent } : {}),
            ...(flags.queue ? { queue: flags.queue } : {}),
            ...(after ? { after } : {}),
          });
          for (const call of page.calls)
            await out(
              flags.json
                ? `${JSON.stringify(call)}\n`
                : csvLine(CALL_COLUMNS.map((c) => call[c as keyof typeof call])),
            );
          after = page.next;
        } while (after);
      } finally {
        await ch.close();
      }
    });
}
