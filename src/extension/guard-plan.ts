/**
 * "MCP Guard: Guard Existing Servers…" as text edits: each picked server leaves its mcp.json (or
 * `mcp` settings) and joins `mcpGuard.servers` with the same command, args and env (a remote server:
 * the same url and headers), in the
 * workspace settings for a workspace server and the user settings for the user's. Computed from the
 * files' text as the editor has it; the edits touch only what moves. Plain data, so tests need no VS Code.
 */
import { getNodeValue, findNodeAtLocation } from 'jsonc-parser';
import { guardedLabel } from './definition-builder';
import { appendToArraySetting, applyEdit, minimalEdit, parseJsonc, removeProperty, type TextEdit } from './jsonc-edit';
import { isWorkspaceSource, serversPath, SOURCE_LABEL, type ExistingServer } from './mcp-config';
import { headersProblem, urlProblem, type GuardedServerConfig } from './settings';

export const SERVERS_SETTING = 'mcpGuard.servers';

/** A settings.json the guarded entries go to. */
export interface SettingsTarget {
  readonly path: string;
  /** What VS Code reads for `mcpGuard.servers` while that file does not set it: the user's list (for the workspace) or the default. */
  readonly inherited: readonly unknown[];
  /** `inherited` is the built-in default, which nobody wrote: an entry of the same name replaces it. */
  readonly inheritedIsDefault: boolean;
}

export interface PlanInput {
  readonly picked: readonly ExistingServer[];
  /** A file's text as the editor has it (unsaved changes included); `undefined` when it does not exist. */
  readonly read: (path: string) => string | undefined;
  /** `undefined` in a window without a folder, or in Restricted Mode, where workspace servers are ignored. */
  readonly workspace: SettingsTarget | undefined;
  readonly user: SettingsTarget;
}

export interface FileChange {
  readonly path: string;
  /** `false`: the file is to be created (a settings.json nobody wrote yet). */
  readonly exists: boolean;
  readonly before: string;
  readonly after: string;
  /** The one replacement that turns `before` into `after`. */
  readonly edit: TextEdit;
}

export interface Moved {
  readonly server: ExistingServer;
  /** Its name in `mcpGuard.servers` (the same, or with a number when that name is taken). */
  readonly name: string;
  readonly label: string;
  readonly settings: string;
  /** What does not carry over as it was: `${...}` variables, envFile, cwd. */
  readonly notes: readonly string[];
}

export type GuardPlan = { ok: true; files: FileChange[]; moved: Moved[] } | { ok: false; message: string };

/**
 * Why a server cannot move behind the guard as it is, said so the person can act on it; undefined when it can.
 * A remote one must be reachable by Streamable HTTP at a URL the guard may log, with headers the guard can fill.
 */
export function cannotMove(server: ExistingServer): string | undefined {
  if (server.transport === 'stdio') return undefined;
  if (server.sse)
    return (
      `${server.name} uses the legacy SSE transport (type "sse"), which MCP Guard does not speak: ` +
      `if the server also serves Streamable HTTP, change its type to "http" and run the command again.`
    );
  const url = server.url ?? '';
  if (url.includes('${'))
    return `${server.name}'s url holds ${(url.match(/\$\{[^}]*\}/) ?? [''])[0]}, which MCP Guard cannot fill in: write the URL out and run the command again.`;
  const problem = urlProblem(url) ?? headersProblem(movedHeaders(server));
  if (problem !== undefined) return `${server.name} cannot be guarded as it is: its ${problem}. Change it and run the command again.`;
  return undefined;
}

const HEADER_INPUT = /\$\{input:([A-Za-z0-9_.-]+)\}/g;

/**
 * A remote server's headers as they move: VS Code's `${input:ID}` becomes `${secret:ID}`, which MCP Guard asks
 * for once and keeps in secret storage (what a password input is for); `${env:NAME}` stays, the guard fills it.
 */
export function movedHeaders(server: ExistingServer): Record<string, string> {
  return Object.fromEntries(Object.entries(server.headers).map(([k, v]) => [k, v.replace(HEADER_INPUT, '$${secret:$1}')]));
}

/** What the guard cannot carry over as the server had it, said so the person can act on it. */
export function carryNotes(server: ExistingServer): string[] {
  const notes: string[] = [];
  // A remote server's headers carry over: ${env:NAME} filled by the guard, ${input:ID} turned into ${secret:ID}.
  const headerInputs = [...new Set(Object.values(server.headers).flatMap((v) => [...v.matchAll(HEADER_INPUT)].map((m) => m[0])))];
  if (headerInputs.length > 0)
    notes.push(
      `${headerInputs.join(', ')} in its headers become${headerInputs.length === 1 ? 's' : ''} ` +
        `${headerInputs.map((i) => i.replace('${input:', '${secret:')).join(', ')}: MCP Guard asks for ` +
        `${headerInputs.length === 1 ? 'it' : 'them'} once, when the server starts, and keeps ${headerInputs.length === 1 ? 'it' : 'them'} in VS Code's secret storage`,
    );
  const variables =
    server.transport === 'remote' ? server.variables.filter((v) => !/^\$\{env:/.test(v) && !headerInputs.includes(v)) : server.variables;
  const inputs = variables.filter((v) => v.startsWith('${input:'));
  const others = variables.filter((v) => !v.startsWith('${input:'));
  if (inputs.length > 0) {
    notes.push(
      `${inputs.join(', ')} stay${inputs.length === 1 ? 's' : ''} as written: MCP Guard does not ask for VS Code's inputs, so ` +
        `replace ${inputs.length === 1 ? 'it' : 'them'} in mcpGuard.servers before starting the server (a secret is better kept out of settings)`,
    );
  }
  if (others.length > 0) {
    notes.push(
      `${others.join(', ')} stay${others.length === 1 ? 's' : ''} as written: MCP Guard passes variables to the server unresolved`,
    );
  }
  if (server.envFile !== undefined) notes.push(`envFile ${server.envFile} is not carried over: copy its variables into "env"`);
  if (server.cwd !== undefined) notes.push(`cwd ${server.cwd} is not carried over: guarded servers start in the workspace folder`);
  return notes;
}

/**
 * The `mcpGuard.servers` entry: the same command, args and env (a remote server: url and headers); `odoo: false`
 * so nothing is asked that the server did not ask before.
 */
export function guardedEntry(server: ExistingServer, name: string): Record<string, unknown> {
  if (server.transport === 'remote')
    return {
      name,
      url: server.url,
      ...(Object.keys(server.headers).length > 0 ? { headers: movedHeaders(server) } : {}),
      odoo: false,
    };
  return {
    name,
    command: server.command,
    args: [...server.args],
    ...(Object.keys(server.env).length > 0 ? { env: { ...server.env } } : {}),
    odoo: false,
  };
}

function entryName(entry: unknown): string | undefined {
  const name = entry && typeof entry === 'object' ? (entry as Record<string, unknown>)['name'] : undefined;
  return typeof name === 'string' ? name.trim() : undefined;
}

function freeName(wanted: string, taken: Set<string>): string {
  let name = wanted;
  for (let n = 2; taken.has(name); n++) name = `${wanted} ${n}`;
  taken.add(name);
  return name;
}

export function planGuardExisting(input: PlanInput): GuardPlan {
  const texts = new Map<string, { exists: boolean; before: string; text: string }>();
  const textOf = (path: string) => {
    let t = texts.get(path);
    if (!t) {
      const read = input.read(path);
      t = { exists: read !== undefined, before: read ?? '', text: read ?? '' };
      texts.set(path, t);
    }
    return t;
  };

  // Take each server out of its file.
  for (const server of input.picked) {
    const refused = cannotMove(server);
    if (refused !== undefined) return { ok: false, message: refused };
    if (isWorkspaceSource(server.source.kind) && !input.workspace) {
      return {
        ok: false,
        message: `${server.name} is a workspace server: trust the workspace first, since MCP Guard ignores workspace servers in Restricted Mode.`,
      };
    }
    const file = textOf(server.source.path);
    const removal = removeProperty(file.text, [...serversPath(server.source.kind), server.name]);
    if (!removal) return { ok: false, message: `${server.name} is no longer in ${server.source.path}: run the command again.` };
    file.text = applyEdit(file.text, removal);
  }

  // Then add them to mcpGuard.servers, per settings file.
  const moved: Moved[] = [];
  for (const target of [input.workspace, input.user]) {
    if (!target) continue;
    const mine = input.picked.filter((s) => isWorkspaceSource(s.source.kind) === (target === input.workspace));
    if (mine.length === 0) continue;
    const file = textOf(target.path);
    const { root } = parseJsonc(file.text);
    const node = root?.type === 'object' ? findNodeAtLocation(root, [SERVERS_SETTING]) : undefined;
    const own: unknown = node ? getNodeValue(node) : undefined;
    // The file's own list, or what it would replace: the inherited one (the default yields its names to ours).
    const pickedNames = new Set(mine.map((s) => s.name));
    const base: unknown[] = Array.isArray(own)
      ? own
      : target.inheritedIsDefault
        ? target.inherited.filter((e) => !pickedNames.has(entryName(e) ?? ''))
        : [...target.inherited];
    const taken = new Set(base.map(entryName).filter((n): n is string => n !== undefined));
    const entries = mine.map((server) => {
      const name = freeName(server.name, taken);
      const config: GuardedServerConfig = {
        name,
        command: server.command,
        args: server.args,
        env: server.env,
        ...(server.url !== undefined ? { url: server.url } : {}),
        odoo: false,
      };
      moved.push({ server, name, label: guardedLabel(config), settings: target.path, notes: carryNotes(server) });
      return guardedEntry(server, name);
    });
    const added = appendToArraySetting(file.text, SERVERS_SETTING, entries, [...base, ...entries]);
    if (!added.ok)
      return { ok: false, message: `MCP Guard cannot add to ${target.path}: ${added.message}. Fix the file and run the command again.` };
    file.text = applyEdit(file.text, added.edit);
  }

  const files: FileChange[] = [...texts.entries()]
    .filter(([, t]) => t.text !== t.before)
    .map(([path, t]) => ({ path, exists: t.exists, before: t.before, after: t.text, edit: minimalEdit(t.before, t.text) }));
  return { ok: true, files, moved };
}

/** What the command says once the edits are in the editor. */
export function plannedMessage(moved: readonly Moved[], files: readonly FileChange[], autoSave: boolean): string {
  const what = moved.map((m) => `${m.server.name} (${SOURCE_LABEL[m.server.source.kind]}) as "${m.label}"`).join(', ');
  const save = autoSave
    ? 'Auto save is on, so the change applies as the files are saved; Undo in each file reverts it.'
    : `Review and save ${files.length === 1 ? 'the file' : `the ${files.length} files`} to apply it (File: Save All); Undo reverts it.`;
  return `MCP Guard: ${what} will run behind the guard. ${save}`;
}
