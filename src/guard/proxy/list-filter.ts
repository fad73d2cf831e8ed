/**
 * Server answers to list requests as the client gets them: without the tools, resources and
 * resource templates that the policy's `hide` matches. Re-serialised even when nothing was
 * removed, so the client reads exactly the list the guard filtered (duplicate keys could make
 * another parser read a different one); a list that cannot be re-serialised is not passed on.
 */
import type { PolicyState } from '../decider';
import { errorLine, isPlainObject, MAX_JSON_DEPTH, nestsDeeperThan, UPSTREAM_ERROR, type JsonRpcId, type JsonRpcMessage } from './jsonrpc';
import type { ListMethod } from './pending';
import { wireLine } from './wire';

const LISTS: Record<ListMethod, { readonly field: string; readonly key: string; readonly what: string }> = {
  'tools/list': { field: 'tools', key: 'name', what: 'tool list' },
  'resources/list': { field: 'resources', key: 'uri', what: 'resource list' },
  'resources/templates/list': { field: 'resourceTemplates', key: 'uriTemplate', what: 'resource template list' },
};

/**
 * `resources/templates/list` items are matched by their template text itself (`odoo://record/*`
 * hides `odoo://record/{model_name}/{record_id}`). `untrusted` (tools/list only) leaves out tools
 * whose definition is not trusted (pins/trust.ts); with it a tool list is always re-serialised.
 */
export function filteredList(
  state: PolicyState,
  method: ListMethod,
  msg: JsonRpcMessage,
  line: string,
  untrusted?: (name: string) => boolean,
): string {
  const hiding = state.kind === 'valid' && (state.index.policy.hide.length > 0 || (state.base?.index.policy.hide.length ?? 0) > 0);
  if (!hiding && untrusted === undefined) return line;
  const { field, key, what } = LISTS[method];
  const result = msg.result;
  if (!isPlainObject(result) || !Array.isArray(result[field])) return line;
  const items = result[field] as unknown[];
  const hidden = (name: string) =>
    (hiding && (state.index.isHidden(name) || state.base?.index.isHidden(name) === true)) || (untrusted !== undefined && untrusted(name));
  const visible = items.filter((item) => !(isPlainObject(item) && typeof item[key] === 'string' && hidden(item[key])));
  return (
    stringifyOrUndefined({ ...msg, result: { ...result, [field]: visible } }) ??
    errorLine(msg.id as JsonRpcId, UPSTREAM_ERROR, `MCP Guard could not pass on the ${what}: it is nested too deep to filter`)
  );
}

/** One line of JSON text for any reader (see wire.ts), or undefined when it nests too deep for JSON.stringify. */
export function stringifyOrUndefined(value: unknown): string | undefined {
  if (nestsDeeperThan(value, MAX_JSON_DEPTH * 2)) return undefined;
  try {
    return wireLine(value);
  } catch {
    return undefined;
  }
}
