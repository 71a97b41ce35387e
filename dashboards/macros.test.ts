import { describe, expect, it } from 'vitest';
import {
  ALL,
  applyConditionalAll,
  expandMacros,
  interpolateVariables,
  intervalText,
  MacroError,
  type QueryContext,
  renderPanelSql,
} from './macros.ts';

// 2014-11-12T11:45:26.123Z … 2015-11-12T11:45:26.456Z, the plugin's own test range style.
const ctx: QueryContext = {
  fromMs: 1_415_792_726_123,
  toMs: 1_447_328_726_456,
  intervalMs: 20_000,
  variables: { tenant: "o'neil", queue: ['billing', 'sales'], agent: [ALL], one: 'x' },
};

describe('expandMacros (the plugin backend, pkg/macros/macros.go)', () => {
  it.each([
    ['$__fromTime', 'toDateTime(1415792726)'],
    ['$__toTime', 'toDateTime(1447328726)'],
    ['$__fromTime_ms', 'fromUnixTimestamp64Milli(1415792726123)'],
    ['$__toTime_ms', 'fromUnixTimestamp64Milli(1447328726456)'],
    ['$__timeFilter(ts)', 'ts >= toDateTime(1415792726) AND ts <= toDateTime(1447328726)'],
    [
      '$__timeFilter_ms(ts)',
      'ts >= fromUnixTimestamp64Milli(1415792726123) AND ts <= fromUnixTimestamp64Milli(1447328726456)',
    ],
    ['$__dateFilter(d)', "d >= toDate('2014-11-12') AND d <= toDate('2015-11-12')"],
    [
      '$__dateTimeFilter(d, t)',
      "(d >= toDate('2014-11-12') AND d <= toDate('2015-11-12')) AND (t >= toDateTime(1415792726) AND t <= toDateTime(1447328726))",
    ],
    ['$__timeInterval(ts)', 'toStartOfInterval(toDateTime(ts), INTERVAL 20 second)'],
    ['$__timeInterval_ms(ts)', 'toStartOfInterval(toDateTime64(ts, 3), INTERVAL 20000 millisecond)'],
    ['$__interval_s', '20'],
  ])('%s', (macro, expected) => {
    expect(expandMacros(`SELECT ${macro} FROM t`, ctx)).toBe(`SELECT ${expected} FROM t`);
  });

  it('keeps nested calls in arguments and expands several macros', () => {
    expect(expandMacros('WHERE $__timeFilter(toDateTime(intDiv(ms, 1000))) AND x < $__toTime', ctx)).toBe(
      'WHERE toDateTime(intDiv(ms, 1000)) >= toDateTime(1415792726) AND toDateTime(intDiv(ms, 1000)) <= toDateTime(1447328726) AND x < toDateTime(1447328726)',
    );
  });

  it('never lets the interval fall below one second', () => {
    expect(expandMacros('$__interval_s', { ...ctx, intervalMs: 200 })).toBe('1');
  });

  it('rejects unknown macros, wrong argument counts and unbalanced parentheses', () => {
    expect(() => expandMacros('$__nope', ctx)).toThrow(MacroError);
    expect(() => expandMacros('$__nope', ctx)).toThrow(expect.objectContaining({ code: 'UNKNOWN_MACRO' }));
    expect(() => expandMacros('$__timeFilter(a, b)', ctx)).toThrow(/expects 1 argument/);
    expect(() => expandMacros('$__timeFilter(a', ctx)).toThrow(/unbalanced/);
  });
});

describe('applyConditionalAll (the plugin frontend)', () => {
  it('keeps the condition for a selection and becomes 1=1 for All or nothing', () => {
    const sql = 'WHERE $__conditionalAll(q IN ($queue), $queue) AND $__conditionalAll(a IN ($agent), $agent)';
    expect(applyConditionalAll(sql, ctx.variables)).toBe('WHERE q IN ($queue) AND 1=1');
    expect(applyConditionalAll('$__conditionalAll(a = 1, $one)', { one: '' })).toBe('1=1');
  });

  it('fails on an unknown variable', () => {
    expect(() => applyConditionalAll('$__conditionalAll(a = 1, $missing)', ctx.variables)).toThrow(
      /unknown variable 'missing'/,
    );
  });
});

describe('interpolateVariables (Grafana template variables)', () => {
  it('formats single and multi values the way the ClickHouse data source does', () => {
    expect(interpolateVariables(`$one \${one} [[one]] $queue`, ctx)).toBe("x x x 'billing','sales'");
    expect(interpolateVariables(`\${tenant:singlequote} \${queue:singlequote}`, ctx)).toBe(
      "'o\\'neil' 'billing','sales'",
    );
  });

  it('fills the built-in interval and range variables, leaves macros alone', () => {
    expect(
      interpolateVariables('$__interval $__interval_ms $__from $__to $__timeFilter(t) $__interval_s', ctx),
    ).toBe('20s 20000 1415792726123 1447328726456 $__timeFilter(t) $__interval_s');
    expect(intervalText(300_000)).toBe('5m');
    expect(intervalText(1500)).toBe('1500ms');
  });

  it('rejects formats it does not implement instead of guessing', () => {
    expect(() => interpolateVariables(`\${queue:json}`, ctx)).toThrow(MacroError);
  });
});

it('renderPanelSql runs the stages in Grafana order', () => {
  expect(
    renderPanelSql(
      `SELECT 1 FROM t WHERE $__timeFilter(ts) AND $__conditionalAll(q IN (\${queue:singlequote}), $queue) AND $__conditionalAll(a IN (\${agent:singlequote}), $agent)`,
      ctx,
    ),
  ).toBe(
    "SELECT 1 FROM t WHERE ts >= toDateTime(1415792726) AND ts <= toDateTime(1447328726) AND q IN ('billing','sales') AND 1=1",
  );
});
