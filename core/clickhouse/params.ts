// The ONE place SQL text is built from values: ClickHouse 18.16 has no server-side query
// parameters (`{name:Type}` arrived in 19.x), so for it the HTTP driver renders the same
// placeholders here into typed literals. Every value is checked against its declared type; strings
// are escaped per ClickHouse's quoted-literal grammar (backslash escapes), so no value can end the
// literal. Newer servers and chdb bind the same placeholders natively and never come through here.
import { ClickHouseError } from './errors.ts';

export type ParamValue = string | number | bigint | boolean;
export type Params = Readonly<Record<string, ParamValue>>;

/** `{name:Type}`: the placeholder syntax ClickHouse itself binds. */
export const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*):\s*([A-Za-z0-9]+)\s*\}/g;

const INT_RANGES: Record<string, [bigint, bigint]> = {
  UInt8: [0n, 255n],
  UInt16: [0n, 65_535n],
  UInt32: [0n, 4_294_967_295n],
  UInt64: [0n, 18_446_744_073_709_551_615n],
  Int8: [-128n, 127n],
  Int16: [-32_768n, 32_767n],
  Int32: [-2_147_483_648n, 2_147_483_647n],
  Int64: [-9_223_372_036_854_775_808n, 9_223_372_036_854_775_807n],
};

/** Escapes a string for a single-quoted ClickHouse literal. */
export function quoteString(value: string): string {
  let out = "'";
  for (const ch of value) {
    switch (ch) {
      case '\\':
        out += '\\\\';
        break;
      case "'":
        out += "\\'";
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\0':
        out += '\\0';
        break;
      default:
        out += ch;
    }
  }
  return `${out}'`;
}

/** One value as a literal of the declared type. */
export function literal(name: string, type: string, value: ParamValue): string {
  if (type === 'String') {
    if (typeof value !== 'string')
      throw new ClickHouseError('BAD_PARAM', `{${name}:String} needs a string, got ${typeof value}`);
    return quoteString(value);
  }
  const range = INT_RANGES[type];
  if (range) {
    const big =
      typeof value === 'bigint'
        ? value
        : typeof value === 'number' && Number.isSafeInteger(value)
          ? BigInt(value)
          : typeof value === 'boolean'
            ? BigInt(Number(value))
            : undefined;
    if (big === undefined || big < range[0] || big > range[1]) {
      throw new ClickHouseError(
        'BAD_PARAM',
        `{${name}:${type}} needs an integer in [${range[0]}, ${range[1]}], got ${String(value)}`,
      );
    }
    // A bare literal (validated above), because 18.16 accepts only literals in places like LIMIT;
    // negatives in parentheses so `x-{n:Int32}` can never become the comment `x--1`.
    return big < 0n ? `(${big})` : big.toString();
  }
  if (type === 'Float32' || type === 'Float64') {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new ClickHouseError('BAD_PARAM', `{${name}:${type}} needs a finite number, got ${String(value)}`);
    }
    return `to${type}(${value.toString()})`;
  }
  throw new ClickHouseError('BAD_PARAM', `{${name}:${type}}: type ${type} is not supported`);
}

/** Replaces every `{name:Type}` in `sql` with the checked literal; every placeholder must have a value. */
export function renderParams(sql: string, params: Params = {}): string {
  return sql.replace(PLACEHOLDER, (_m, name: string, type: string) => {
    if (!Object.hasOwn(params, name))
      throw new ClickHouseError('BAD_PARAM', `no value for {${name}:${type}}`);
    return literal(name, type, params[name] as ParamValue);
  });
}
