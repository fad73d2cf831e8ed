/** The version of this build (set by the bundler), for `--version`, the audit log and the editor bridge. */
declare const MCP_GUARD_VERSION: string | undefined;

/** Injected by the bundler from package.json; `dev` when run from source. */
export const VERSION: string = typeof MCP_GUARD_VERSION === 'string' ? MCP_GUARD_VERSION : 'dev';
