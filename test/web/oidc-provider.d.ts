// oidc-provider ships no types; the tests use a handful of its calls (see test-idp.ts).
declare module 'oidc-provider' {
  const Provider: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  export default Provider;
}
