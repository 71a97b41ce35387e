// Test inputs shared by the driver and query API tests.
/** Strings that would break or change a query if they were pasted into SQL. */
export const SQLISH = [
  "'",
  "\\'",
  "x' OR '1'='1",
  "'; DROP TABLE scores; --",
  '\\',
  'a\\nb',
  'line\nbreak\ttab\r',
  '{s:String}',
  '"double" `back`',
  'ünïcødé 🎧',
  '\0nul',
];
