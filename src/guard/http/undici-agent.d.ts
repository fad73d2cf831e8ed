// undici's Agent alone (the package's entry point also loads fetch, WebSocket, caches and mocks, which the
// guard does not use and which would double the time an HTTP upstream's guard takes to start).
declare module 'undici/lib/dispatcher/agent.js' {
  import type { Agent } from 'undici';
  const UndiciAgent: typeof Agent;
  export default UndiciAgent;
}
