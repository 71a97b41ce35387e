// docker-compose.yml's environment as a container would get it: compose interpolates `${NAME}`,
// `${NAME:-default}` / `${NAME-default}` and `${NAME:?message}` / `${NAME?message}` from the
// shell's variables before anything starts (and stops with the message when a required one is
// missing). Hand-written: the tests need only this part of compose, which is no npm library.

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g;

/** `value` with its `${…}` references resolved from `vars`; throws compose's message for a missing required one. */
export function interpolate(value: string, vars: Readonly<Record<string, string | undefined>>): string {
  return value.replace(REFERENCE, (_match, name: string, op: string | undefined, arg: string | undefined) => {
    const given = vars[name];
    const missing = op?.startsWith(':') ? !given : given === undefined;
    if (op?.endsWith('?') && missing) throw new Error(`required variable ${name} is missing a value: ${arg}`);
    if (op?.endsWith('-') && missing) return arg ?? '';
    return given ?? '';
  });
}

/** A compose service's `environment`, interpolated from `vars`, every value a string. */
export function composeEnvironment(
  environment: Readonly<Record<string, string | number>> | undefined,
  vars: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(environment ?? {}).map(([k, v]) => [k, interpolate(String(v), vars)]),
  );
}
