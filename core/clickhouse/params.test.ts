import { describe, expect, it } from 'vitest';
import { ClickHouseError } from './errors.ts';
import { quoteString, renderParams } from './params.ts';

describe('renderParams', () => {
  it('quotes strings so no value can leave the literal', () => {
    expect(quoteString("a'b")).toBe("'a\\'b'");
    expect(quoteString('a\\')).toBe("'a\\\\'");
    expect(quoteString("x\\'; DROP TABLE t; --")).toBe("'x\\\\\\'; DROP TABLE t; --'");
    expect(quoteString('\n\r\t\0')).toBe("'\\n\\r\\t\\0'");
  });

  it('renders typed literals and checks each value against its type', () => {
    expect(
      renderParams('SELECT {a:String}, {n:UInt32}, {f:Float64}, {b:Int64}', { a: 'x', n: 7, f: 0.5, b: -3n }),
    ).toBe("SELECT 'x', 7, toFloat64(0.5), (-3)");
    expect(() => renderParams('{n:UInt32}', { n: -1 })).toThrow(ClickHouseError);
    expect(() => renderParams('{n:UInt8}', { n: 256 })).toThrow(ClickHouseError);
    expect(() => renderParams('{n:UInt32}', { n: 1.5 })).toThrow(ClickHouseError);
    expect(() => renderParams('{n:UInt32}', { n: '1 OR 1=1' })).toThrow(ClickHouseError);
    expect(() => renderParams('{f:Float64}', { f: Number.NaN })).toThrow(ClickHouseError);
    expect(() => renderParams('{s:String}', { s: 3 })).toThrow(ClickHouseError);
    expect(() => renderParams('{s:String}', {})).toThrow(expect.objectContaining({ code: 'BAD_PARAM' }));
    expect(() => renderParams('{s:Array}', { s: 'x' })).toThrow(/not supported/);
    expect(() => renderParams('{missing:String}', {})).toThrow(/no value/);
  });

  it('keeps a negative number from forming a comment with a preceding minus', () => {
    expect(renderParams('SELECT 1-{n:Int32}', { n: -1 })).toBe('SELECT 1-(-1)');
    expect(renderParams('SELECT 1-{f:Float64}', { f: -1 })).toBe('SELECT 1-toFloat64(-1)');
  });

  it('does not re-scan substituted values for placeholders', () => {
    expect(renderParams('{a:String} {b:String}', { a: '{b:String}', b: 'y' })).toBe("'{b:String}' 'y'");
  });
});
