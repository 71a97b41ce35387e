// What Grafana does to a ClickHouse panel's SQL before the server sees it, so tests can run the
// exact text a dashboard sends. Three stages, in Grafana's order:
//   1. the plugin's frontend `$__conditionalAll(condition, $var)` (src/data/CHDatasource.ts),
//   2. Grafana's template variables (`$var`, `${var}`, `${var:format}`, `[[var]]`, `$__interval`…),
//   3. the plugin's backend macros (pkg/macros/macros.go): `$__timeFilter(col)`, `$__fromTime`…
// Hand-written because these live inside Grafana and the plugin (TypeScript in a browser bundle, Go
// on the server); neither is a library this project can call.

import { VoicePulseError } from '../core/errors.ts';

/** Why a panel's SQL cannot be expanded the way Grafana would. */
export type MacroErrorCode =
  | 'UNBALANCED_PARENTHESES'
  | 'WRONG_ARGUMENT_COUNT'
  | 'UNKNOWN_VARIABLE'
  | 'UNSUPPORTED_FORMAT'
  | 'UNKNOWN_MACRO';

export class MacroError extends VoicePulseError<MacroErrorCode> {}

/** A template variable's current value: one string, or several for a multi-value variable. */
export type VariableValue = string | readonly string[];

/** The value Grafana gives a variable whose "All" option is selected (and includeAll has no allValue). */
export const ALL = '$__all';

export interface QueryContext {
  fromMs: number;
  toMs: number;
  /** The panel's interval (Grafana's `$__interval`), from the time range and max data points. */
  intervalMs: number;
  variables: Readonly<Record<string, VariableValue>>;
}

/** Arguments of the call whose `(` is at `open`, split on top-level commas; and the index after `)`. */
function callArgs(sql: string, open: number): { args: string[]; end: number } {
  let depth = 0;
  let start = open + 1;
  const args: string[] = [];
  for (let i = open; i < sql.length; i++) {
    const ch = sql[i];
    if (ch === '(') depth++;
    else if (ch === ')') {
      depth--;
      if (depth === 0) {
        args.push(sql.slice(start, i));
        return { args, end: i + 1 };
      }
    } else if (ch === ',' && depth === 1) {
      args.push(sql.slice(start, i));
      start = i + 1;
    }
  }
  throw new MacroError(
    'UNBALANCED_PARENTHESES',
    `unbalanced parentheses after position ${open} in: ${sql.slice(open, open + 60)}`,
  );
}

/**
 * `$__conditionalAll(condition, $var)` becomes `condition`, or `1=1` when the variable is All or
 * empty; processed from the last occurrence backwards, as the plugin does.
 */
export function applyConditionalAll(sql: string, variables: QueryContext['variables']): string {
  const macro = '$__conditionalAll(';
  let out = sql;
  let at = out.lastIndexOf(macro);
  while (at !== -1) {
    const { args, end } = callArgs(out, at + macro.length - 1);
    if (args.length !== 2)
      throw new MacroError('WRONG_ARGUMENT_COUNT', `$__conditionalAll needs 2 arguments, got ${args.length}`);
    const name = (args[1] ?? '').trim().replace(/^\$\{?|\}$/g, '');
    const value = variables[name];
    if (value === undefined)
      throw new MacroError('UNKNOWN_VARIABLE', `$__conditionalAll refers to unknown variable '${name}'`);
    const flat = typeof value === 'string' ? value : value.join(',');
    const phrase = flat === '' || flat === ALL ? '1=1' : (args[0] ?? '').trim();
    out = out.slice(0, at) + phrase + out.slice(end);
    at = out.lastIndexOf(macro);
  }
  return out;
}

/** Grafana's `singlequote` format: each value in single quotes, `'` escaped with a backslash. */
function singleQuote(value: VariableValue): string {
  const values = typeof value === 'string' ? [value] : value;
  return values.map((v) => `'${v.replace(/'/g, "\\'")}'`).join(',');
}

/** The ClickHouse data source's default format: arrays quoted and joined, single values raw. */
function defaultFormat(value: VariableValue): string {
  return typeof value === 'string' ? value : singleQuote(value);
}

/** Grafana's interval text: the largest unit that divides it (e.g. '30s', '5m', '1h'). */
export function intervalText(ms: number): string {
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  for (const [unit, size] of units) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

// Grafana's own variable syntax: $name, [[name]] / [[name:format]], ${name} / ${name:format}.
const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?::([^}]+))?\}/g;

/** Substitutes template variables and Grafana's built-in ones; unknown names stay (they may be macros). */
export function interpolateVariables(sql: string, ctx: QueryContext): string {
  const builtins: Record<string, string> = {
    __interval: intervalText(ctx.intervalMs),
    __interval_ms: String(ctx.intervalMs),
    __from: String(ctx.fromMs),
    __to: String(ctx.toMs),
  };
  return sql.replace(
    VARIABLE,
    (
      match,
      plain?: string,
      bracket?: string,
      bracketFormat?: string,
      brace?: string,
      braceFormat?: string,
    ) => {
      const name = plain ?? bracket ?? brace ?? '';
      const format = bracketFormat ?? braceFormat;
      const builtin = builtins[name];
      if (builtin !== undefined) return builtin;
      const value = ctx.variables[name];
      if (value === undefined) return match;
      if (format === undefined) return defaultFormat(value);
      if (format === 'singlequote') return singleQuote(value);
      if (format === 'raw') return typeof value === 'string' ? value : value.join(',');
      throw new MacroError(
        'UNSUPPORTED_FORMAT',
        `variable format '${format}' of \${${name}} is not supported here`,
      );
    },
  );
}

const toDateTime = (ms: number) => `toDateTime(${Math.floor(ms / 1000)})`;
const toDateTime64 = (ms: number) => `fromUnixTimestamp64Milli(${Math.floor(ms)})`;
const toDate = (ms: number) => `toDate('${new Date(ms).toISOString().slice(0, 10)}')`;

type Macro = (args: string[], ctx: QueryContext) => string;

function arity(name: string, args: string[], n: number): string[] {
  if (args.length !== n)
    throw new MacroError(
      'WRONG_ARGUMENT_COUNT',
      `$__${name} expects ${n} argument(s), received ${args.length}`,
    );
  return args;
}

/** The plugin's backend macros (pkg/macros/macros.go), with the same output text. */
const MACROS: Record<string, Macro> = {
  fromTime: (_a, c) => toDateTime(c.fromMs),
  toTime: (_a, c) => toDateTime(c.toMs),
  fromTime_ms: (_a, c) => toDateTime64(c.fromMs),
  toTime_ms: (_a, c) => toDateTime64(c.toMs),
  timeFilter: (a, c) => {
    const [col] = arity('timeFilter', a, 1);
    return `${col} >= ${toDateTime(c.fromMs)} AND ${col} <= ${toDateTime(c.toMs)}`;
  },
  timeFilter_ms: (a, c) => {
    const [col] = arity('timeFilter_ms', a, 1);
    return `${col} >= ${toDateTime64(c.fromMs)} AND ${col} <= ${toDateTime64(c.toMs)}`;
  },
  dateFilter: (a, c) => {
    const [col] = arity('dateFilter', a, 1);
    return `${col} >= ${toDate(c.fromMs)} AND ${col} <= ${toDate(c.toMs)}`;
  },
  dateTimeFilter: (a, c) => {
    const [date, time] = arity('dateTimeFilter', a, 2);
    return `(${date} >= ${toDate(c.fromMs)} AND ${date} <= ${toDate(c.toMs)}) AND (${time} >= ${toDateTime(c.fromMs)} AND ${time} <= ${toDateTime(c.toMs)})`;
  },
  timeInterval: (a, c) => {
    const [col] = arity('timeInterval', a, 1);
    return `toStartOfInterval(toDateTime(${col}), INTERVAL ${intervalSeconds(c)} second)`;
  },
  timeInterval_ms: (a, c) => {
    const [col] = arity('timeInterval_ms', a, 1);
    return `toStartOfInterval(toDateTime64(${col}, 3), INTERVAL ${Math.max(Math.floor(c.intervalMs), 1)} millisecond)`;
  },
  interval_s: (_a, c) => String(intervalSeconds(c)),
};
MACROS.dt = MACROS.dateTimeFilter as Macro;

function intervalSeconds(ctx: QueryContext): number {
  return Math.max(Math.floor(ctx.intervalMs / 1000), 1);
}

/** Expands the backend macros; any `$__name` left afterwards is an error (the server would reject it). */
export function expandMacros(sql: string, ctx: QueryContext): string {
  let out = '';
  let i = 0;
  const token = /\$__(\w+)/g;
  for (let m = token.exec(sql); m !== null; m = token.exec(sql)) {
    const name = m[1] ?? '';
    const macro = MACROS[name];
    if (!macro) throw new MacroError('UNKNOWN_MACRO', `unknown macro $__${name}`);
    const after = m.index + m[0].length;
    const call = sql[after] === '(' ? callArgs(sql, after) : { args: [], end: after };
    out +=
      sql.slice(i, m.index) +
      macro(
        call.args.map((a) => a.trim()),
        ctx,
      );
    i = call.end;
    token.lastIndex = call.end;
  }
  return out + sql.slice(i);
}

/** The SQL ClickHouse receives for a panel query: all three stages. */
export function renderPanelSql(sql: string, ctx: QueryContext): string {
  return expandMacros(interpolateVariables(applyConditionalAll(sql, ctx.variables), ctx), ctx);
}
