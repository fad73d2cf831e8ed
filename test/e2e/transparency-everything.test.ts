import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVERYTHING, GUARD } from '../support/paths';
import type { RawMessage } from '../support/raw-client';
import { CLIENT_ROOTS, SAMPLING_REPLY, ScriptedPeer, sampleObject, type Exchange } from '../support/scripted-peer';
import { tempDir } from '../support/temp';

/**
 * Transparency against a server nobody here wrote: @modelcontextprotocol/server-everything over
 * stdio, once directly and once behind the guard with an allow-all policy, driven by the same
 * scripted raw JSON-RPC client (every message either side receives is recorded). Every step runs
 * on both sides at once and is compared after the normalisations below, and nothing else.
 */

// ---- normalisations: each one a field that is random or time-dependent in the server itself ----

const RULES = {
  resourceTime: 'dynamic resources embed `created at <local time>` (text, and inside base64 blobs): the time',
  serverTask: 'tasks the server creates (simulate-research-query): taskId (random) and createdAt/lastUpdatedAt',
  taskPoll: 'a tasks/get answered while the task runs: status/statusMessage/lastUpdatedAt (depend on when the poll lands)',
  taskStatusOrder: 'notifications/tasks/status: compared as one sequence per task, not per exchange (they arrive on timers)',
  randomLog: 'toggle-simulated-logging: the level and text of its message (randomly chosen by the server)',
  urlElicitationId: 'trigger-url-elicitation error path: the prerequisite elicitationId (a random UUID)',
  requestIds: "ids of the server's requests to the client (compared separately, not required equal)",
} as const;
type Rule = keyof typeof RULES;

const TIME_IN_TEXT = /(created at )\d{1,2}:\d{2}:\d{2}(\s?[AP]M)?/g;
const SERVER_TASK_ID = /^[0-9a-f]{32}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SIMULATED_LOG = /^(Debug|Info|Notice|Warning|Error|Critical|Alert|Emergency)[- ]level[- ]message/;
const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

function normaliseValue(value: unknown, used: Set<Rule>): unknown {
  if (Array.isArray(value)) return value.map((v) => normaliseValue(v, used));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = normaliseValue(v, used);
  // Resource contents of demo://resource/dynamic/*: fabricated with `new Date().toLocaleTimeString()`.
  if (typeof out['uri'] === 'string' && out['uri'].startsWith('demo://resource/dynamic/')) {
    if (typeof out['text'] === 'string' && out['text'].replace(TIME_IN_TEXT, '$1<time>') !== out['text']) {
      out['text'] = out['text'].replace(TIME_IN_TEXT, '$1<time>');
      used.add('resourceTime');
    }
    if (typeof out['blob'] === 'string') {
      const decoded = Buffer.from(out['blob'], 'base64').toString('utf8');
      if (decoded.replace(TIME_IN_TEXT, '$1<time>') !== decoded) {
        out['blob'] = `<base64 of> ${decoded.replace(TIME_IN_TEXT, '$1<time>')}`;
        used.add('resourceTime');
      }
    }
  }
  // A server-created task (or a reference to one): random id, creation and update times.
  if (typeof out['taskId'] === 'string' && SERVER_TASK_ID.test(out['taskId'])) {
    out['taskId'] = '<server task id>';
    for (const k of ['createdAt', 'lastUpdatedAt']) if (typeof out[k] === 'string') out[k] = '<time>';
    used.add('serverTask');
  }
  // UrlElicitationRequiredError data: the prerequisite's elicitationId is a fresh UUID.
  if (typeof out['elicitationId'] === 'string' && UUID.test(out['elicitationId']) && out['url'] === 'https://modelcontextprotocol.io') {
    out['elicitationId'] = '<uuid>';
    used.add('urlElicitationId');
  }
  return out;
}

function normalise(m: RawMessage, used: Set<Rule>): any {
  const n: any = normaliseValue(m, used);
  if (n.method === 'notifications/message' && typeof n.params?.data === 'string' && SIMULATED_LOG.test(n.params.data)) {
    n.params = { ...n.params, level: '<random level>', data: '<random simulated message>' };
    used.add('randomLog');
  }
  if (n.method !== undefined && n.id !== undefined) {
    n.id = '<server request id>';
    used.add('requestIds');
  }
  return n;
}

/** Masks what a poll of a running task cannot be expected to agree on. */
function maskRunningTask(n: any, used: Set<Rule>): any {
  const t = n.result;
  if (!t || typeof t.status !== 'string' || TERMINAL.has(t.status)) return n;
  used.add('taskPoll');
  return { ...n, result: { ...t, status: '<non-terminal>', statusMessage: '<running>', lastUpdatedAt: '<time>' } };
}

const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x,
  );

// ---- the table ----

interface Row {
  area: string;
  compared: string;
  count: number;
  outcome: string;
  notes: string;
}

describe('transparency: @modelcontextprotocol/server-everything directly and behind the guard', function () {
  this.timeout(60_000);
  let cleanup = () => {};
  const peers: ScriptedPeer[] = [];

  after(async () => {
    await Promise.all(peers.map((p) => p.close().catch(() => {})));
    cleanup();
  });

  it('gives the same answers, notifications and server requests, message for message', async () => {
    const started = Date.now();
    const t = tempDir('mcp-guard-transparency-');
    cleanup = t.cleanup;
    const policy = join(t.dir, 'allow-all.yaml');
    writeFileSync(policy, 'version: 1\ntools:\n  "*": { action: allow }\n');
    const direct = new ScriptedPeer('direct', process.execPath, [EVERYTHING]);
    const guarded = new ScriptedPeer('guarded', process.execPath, [GUARD, 'run', '--policy', policy, '--', process.execPath, EVERYTHING]);
    peers.push(direct, guarded);

    const used = new Set<Rule>();
    const rows: Row[] = [];
    const differences: string[] = [];
    /** Response ids (same on both sides) whose answer is a poll of a running task. */
    const runningPolls = new Set<string | number>();

    const both = <T>(f: (p: ScriptedPeer) => Promise<T>): Promise<[T, T]> => Promise.all([f(direct), f(guarded)]);
    const same = (what: string, d: unknown, g: unknown): boolean => {
      try {
        assert.deepStrictEqual(g, d);
        return true;
      } catch (e) {
        differences.push(`${what}:\n${(e as Error).message}`);
        return false;
      }
    };
    const row = (area: string, compared: string, count: number, ok: boolean, notes = '') =>
      rows.push({ area, compared, count, outcome: ok ? 'identical' : 'DIFFERENT', notes });

    /** Compares two exchanges: the answer and every other message in the window, in order. */
    const sameExchange = (what: string, [d, g]: [Exchange, Exchange], opts: { runningPoll?: boolean } = {}): boolean => {
      const view = (x: Exchange) => {
        let response = normalise(x.response, used);
        if (opts.runningPoll) response = maskRunningTask(response, used);
        const window = x.window.filter((m) => m.method !== 'notifications/tasks/status').map((m) => normalise(m, used));
        return { response, window };
      };
      if (opts.runningPoll && d.response.id !== undefined && d.response.id !== null) runningPolls.add(d.response.id);
      return same(what, view(d), view(g));
    };
    const serverRequests = (x: Exchange) => x.window.filter((m) => m.method !== undefined && m.id !== undefined);
    const progressOf = (x: Exchange) => x.window.filter((m) => m.method === 'notifications/progress');

    // ---- initialize; the server registers its capability-dependent tools afterwards ----
    const [initD, initG] = await both((p) => p.initialize());
    row('initialize', 'protocolVersion, capabilities, serverInfo, instructions', 1, same('initialize', initD, initG));
    // 350 ms after `initialized` the server asks for the roots and logs that it got them: by then
    // every tools/list_changed of the conditional tools has been sent.
    const rootsLogged = (p: ScriptedPeer) =>
      p.waitFor('the "Roots updated" log', () =>
        p.received.some((m) => m.method === 'notifications/message' && /Roots updated/.test(m.params?.data)),
      );
    await both(rootsLogged);
    const startup = (p: ScriptedPeer) => p.received.slice(1).map((m) => normalise(m, used));
    const [startD, startG] = [startup(direct), startup(guarded)];
    const listChanged = startD.filter((m) => m.method === 'notifications/tools/list_changed').length;
    row(
      'after initialize',
      'tools/list_changed notifications, roots/list request, log message',
      startD.length,
      same('after initialize', startD, startG),
      `${listChanged} list_changed; roots/list answered with ${CLIENT_ROOTS.length} root`,
    );

    // ---- lists ----
    const lists: Record<string, any> = {};
    for (const [method, key] of [
      ['tools/list', 'tools'],
      ['resources/list', 'resources'],
      ['resources/templates/list', 'resourceTemplates'],
      ['prompts/list', 'prompts'],
    ] as const) {
      const ex = await both((p) => p.exchange(method, {}));
      lists[key] = ex[0].response.result?.[key] ?? [];
      row('lists', method, lists[key].length, sameExchange(method, ex), 'exact, including schemas and annotations');
    }
    const tools: any[] = lists['tools'];
    const prompts: any[] = lists['prompts'];
    const resources: any[] = lists['resources'];
    const templates: any[] = lists['resourceTemplates'];
    assert.ok(tools.length >= 15, `server-everything lists ${tools.length} tools`);

    // ---- logging ----
    {
      const ex = await both((p) => p.exchange('logging/setLevel', { level: 'debug' }));
      assert.deepEqual(ex[0].response.result, {});
      row(
        'logging',
        'logging/setLevel debug',
        1,
        sameExchange('logging/setLevel', ex),
        'empty result; later log notifications compared with their exchanges',
      );
    }

    // ---- completions (their first value is also the argument used for the prompts below) ----
    let completions = 0;
    let completionsSame = true;
    const complete = async (ref: unknown, argument: { name: string; value: string }, context?: Record<string, string>) => {
      const ex = await both((p) =>
        p.exchange('completion/complete', { ref, argument, ...(context ? { context: { arguments: context } } : {}) }),
      );
      completions++;
      completionsSame = sameExchange(`completion/complete ${JSON.stringify(ref)} ${argument.name}`, ex) && completionsSame;
      return ex[0].response.result?.completion?.values as string[] | undefined;
    };
    const promptArgs = new Map<string, Record<string, string>>();
    for (const prompt of prompts) {
      const args: Record<string, string> = {};
      for (const a of prompt.arguments ?? []) {
        const values = await complete({ type: 'ref/prompt', name: prompt.name }, { name: a.name, value: '' }, args);
        args[a.name] = values?.[0] ?? (/id$/i.test(a.name) ? '1' : `Sample ${a.name}`);
      }
      promptArgs.set(prompt.name, args);
    }
    // A prefix, as a client would send while the user types.
    await complete({ type: 'ref/prompt', name: 'completable-prompt' }, { name: 'department', value: 'Sa' });
    const templateIds = new Map<string, string>();
    for (const tpl of templates) {
      for (const [, variable] of String(tpl.uriTemplate).matchAll(/\{(\w+)\}/g)) {
        const values = await complete({ type: 'ref/resource', uri: tpl.uriTemplate }, { name: variable!, value: '2' });
        templateIds.set(tpl.uriTemplate, values?.[0] ?? '2');
      }
    }
    row(
      'completions',
      'completion/complete for prompt and template arguments',
      completions,
      completionsSame,
      'every argument of every prompt, a prefix, each template variable',
    );

    // ---- prompts ----
    let promptsSame = true;
    for (const prompt of prompts) {
      const ex = await both((p) => p.exchange('prompts/get', { name: prompt.name, arguments: promptArgs.get(prompt.name) }));
      assert.ok(ex[0].response.result, `prompts/get ${prompt.name}: ${JSON.stringify(ex[0].response.error)}`);
      promptsSame = sameExchange(`prompts/get ${prompt.name}`, ex) && promptsSame;
    }
    row('prompts', 'prompts/get of every prompt (every argument filled)', prompts.length, promptsSame);

    // ---- resources ----
    let readsSame = true;
    const toRead = [
      ...resources.slice(0, 20).map((r) => r.uri as string),
      ...templates.map((tpl) => String(tpl.uriTemplate).replace(/\{\w+\}/g, templateIds.get(tpl.uriTemplate) ?? '2')),
    ];
    for (const uri of toRead) {
      const ex = await both((p) => p.exchange('resources/read', { uri }));
      assert.ok(ex[0].response.result, `resources/read ${uri}: ${JSON.stringify(ex[0].response.error)}`);
      readsSame = sameExchange(`resources/read ${uri}`, ex) && readsSame;
    }
    row(
      'resources',
      `resources/read of every listed resource and one per template`,
      toRead.length,
      readsSame,
      `${resources.length} listed + ${templates.length} templates`,
    );
    const subscribed = resources[0]?.uri as string;
    {
      const ex = await both((p) => p.exchange('resources/subscribe', { uri: subscribed }));
      row('resources', 'resources/subscribe (answer and its log message)', 1, sameExchange('resources/subscribe', ex));
    }

    // ---- tools: every listed tool, arguments from its input schema ----
    // Explicit argument choices on top of the schema's required properties, each for a reason.
    const OVERRIDES: Record<string, Record<string, unknown>> = {
      'trigger-long-running-operation': { duration: 1, steps: 5 }, // short, with progress
      'gzip-file-as-resource': {
        name: 'hello.txt.gz',
        data: `data:text/plain;base64,${Buffer.from('hello, transparency\n').toString('base64')}`,
      }, // no network
      'trigger-url-elicitation': { elicitationId: 'elicitation-fixed-1' }, // else a random UUID
      'get-annotated-message': { includeImage: true }, // also the annotated image
      'trigger-sampling-request': { maxTokens: 16 },
    };
    // Tools that switch a timer on: called twice (on, then off), so no timer fires later.
    const TOGGLES = new Set(['toggle-simulated-logging', 'toggle-subscriber-updates']);
    const relayed: { tool: string; method: string; d: any; g: any }[] = [];
    let progressTotal = [0, 0];
    let progressDetail = '';
    let toolCalls = 0;
    let toolsSame = true;
    const callTool = async (name: string, args: Record<string, unknown>, token: string | number, label = name) => {
      const ex = await both((p) => p.exchange('tools/call', { name, arguments: args, _meta: { progressToken: token } }));
      toolCalls++;
      const ok = sameExchange(`tools/call ${label}`, ex);
      toolsSame = ok && toolsSame;
      const [pd, pg] = ex.map(progressOf) as [RawMessage[], RawMessage[]];
      progressTotal = [progressTotal[0]! + pd.length, progressTotal[1]! + pg.length];
      for (const [side, list, x, peer] of [
        ['direct', pd, ex[0], direct],
        ['guarded', pg, ex[1], guarded],
      ] as const) {
        for (const m of list)
          assert.deepStrictEqual(m.params.progressToken, token, `${side} ${label}: the progress token is the client's own`);
        const at = peer.received.indexOf(x.response);
        assert.ok(
          list.every((m) => peer.received.indexOf(m) < at),
          `${side} ${label}: progress before the result`,
        );
      }
      assert.equal(pg.length, pd.length, `${label}: as many progress notifications guarded as directly`);
      if (pd.length > 0) progressDetail += `${label}: ${pd.length}/${pg.length} (token ${JSON.stringify(token)}) `;
      const [rd, rg] = ex.map(serverRequests) as [RawMessage[], RawMessage[]];
      assert.equal(rg.length, rd.length, `${label}: as many server requests reach the client guarded as directly`);
      rd.forEach((m, i) => relayed.push({ tool: label, method: m.method!, d: m, g: rg[i] }));
      return ex;
    };

    const researchTools: any[] = [];
    const perTool: string[] = [];
    for (const tool of tools) {
      const args = { ...sampleObject(tool.inputSchema, false), ...OVERRIDES[tool.name] };
      // A numeric token for the one tool that reports progress, strings elsewhere: both must come back as sent.
      const token = tool.name === 'trigger-long-running-operation' ? 4242 : `progress-${tool.name}`;
      if (tool.execution?.taskSupport === 'required') {
        researchTools.push(tool);
        // A plain call must be refused the same way (the task flow is below).
        const [d] = await callTool(tool.name, args, token, `${tool.name} (no task)`);
        assert.equal(d.response.result?.isError, true);
        perTool.push(`${tool.name} (no task: same error)`);
        continue;
      }
      for (let i = 0; i < (TOGGLES.has(tool.name) ? 2 : 1); i++) {
        const [d, g] = await callTool(tool.name, args, token, TOGGLES.has(tool.name) ? `${tool.name} #${i + 1}` : tool.name);
        // Generated arguments must make the tool work, or the comparison proves little.
        assert.ok(d.response.result && d.response.result.isError !== true, `${tool.name} ran: ${JSON.stringify(d.response).slice(0, 300)}`);
        if (tool.name.startsWith('trigger-sampling-request')) {
          assert.match(
            JSON.stringify(g.response.result),
            new RegExp(SAMPLING_REPLY.content.text),
            `${tool.name}: the client's sampling answer reached the server through the guard`,
          );
        }
      }
      if (tool.name === 'trigger-url-elicitation') {
        // The error path: UrlElicitationRequiredError (-32042) with a prerequisite elicitation.
        const [d] = await callTool(
          tool.name,
          { ...args, errorPath: true, elicitationId: 'elicitation-fixed-2' },
          token,
          `${tool.name} (errorPath)`,
        );
        assert.equal(d.response.error?.code, -32042);
      }
      perTool.push(tool.name);
    }
    // Progress once more, with a string token and twice the steps.
    if (tools.some((tl) => tl.name === 'trigger-long-running-operation')) {
      await callTool(
        'trigger-long-running-operation',
        { duration: 1, steps: 10 },
        'progress-Ω-10',
        'trigger-long-running-operation (10 steps)',
      );
    }
    row(
      'tools',
      'tools/call of every listed tool (result and every message meanwhile)',
      toolCalls,
      toolsSame,
      `${tools.length} tools; toggles called on and off; url elicitation also by its error path; long-running twice`,
    );

    // simulate-research-query: the experimental tasks API (tools/call with `task`, tasks/get,
    // tasks/result delivering the server's elicitation, tasks/list).
    for (const tool of researchTools) {
      const args = { ...sampleObject(tool.inputSchema, false), topic: 'python', ambiguous: true };
      const created = await both((p) => p.exchange('tools/call', { name: tool.name, arguments: args, task: { ttl: 60_000 } }));
      let ok = sameExchange(`${tool.name} create task`, created);
      const ids = created.map((x) => x.response.result?.task?.taskId as string);
      assert.ok(ids[0] && ids[1], 'both sides got a task');
      const poll = await Promise.all([direct.exchange('tasks/get', { taskId: ids[0] }), guarded.exchange('tasks/get', { taskId: ids[1] })]);
      ok = sameExchange(`${tool.name} tasks/get (running)`, poll, { runningPoll: true }) && ok;
      const result = await Promise.all([
        direct.exchange('tasks/result', { taskId: ids[0] }, 20_000),
        guarded.exchange('tasks/result', { taskId: ids[1] }, 20_000),
      ]);
      ok = sameExchange(`${tool.name} tasks/result`, result) && ok;
      const [rd, rg] = result.map(serverRequests) as [RawMessage[], RawMessage[]];
      assert.equal(rd.length, 1, 'the ambiguous query asks for a clarification');
      rd.forEach((m, i) => relayed.push({ tool: `${tool.name} (task)`, method: m.method!, d: m, g: rg[i] }));
      const done = await Promise.all([direct.exchange('tasks/get', { taskId: ids[0] }), guarded.exchange('tasks/get', { taskId: ids[1] })]);
      assert.equal(done[0].response.result?.status, 'completed');
      ok = sameExchange(`${tool.name} tasks/get (done)`, done) && ok;
      ok = sameExchange(`${tool.name} tasks/list`, await both((p) => p.exchange('tasks/list', {}))) && ok;
      // The task's status notifications, in order, wherever their exchange boundaries fell.
      const statuses = (p: ScriptedPeer, id: string) =>
        p.received.filter((m) => m.method === 'notifications/tasks/status' && m.params?.taskId === id).map((m) => normalise(m, used));
      const [sd, sg] = [statuses(direct, ids[0]!), statuses(guarded, ids[1]!)];
      used.add('taskStatusOrder');
      ok = same(`${tool.name} notifications/tasks/status`, sd, sg) && ok;
      toolsSame = ok && toolsSame;
      row(
        'tools (tasks API)',
        `${tool.name}: create, tasks/get, tasks/result, tasks/list`,
        5,
        ok,
        `${sd.length} tasks/status notifications; clarification asked by elicitation`,
      );
    }

    // Server requests reached the client as the server sent them.
    const byMethod = new Map<string, number>();
    for (const r of relayed) byMethod.set(r.method, (byMethod.get(r.method) ?? 0) + 1);
    for (const [method, n] of byMethod) {
      const these = relayed.filter((r) => r.method === method);
      const ok = these
        .map((r) => same(`${r.tool}: ${r.method} params`, normalise(r.d, used).params, normalise(r.g, used).params))
        .every(Boolean);
      row('server → client', `${method} (params)`, n, ok, `from ${[...new Set(these.map((r) => r.tool))].join(', ')}`);
    }
    assert.ok(byMethod.get('sampling/createMessage'), 'sampling requests were triggered');
    assert.ok(byMethod.get('elicitation/create'), 'elicitation requests were triggered');

    row(
      'progress',
      'notifications/progress per call (direct/guarded)',
      progressTotal[0]!,
      progressTotal[0] === progressTotal[1] && progressTotal[0]! > 0,
      `${progressDetail.trim()}; all before the result, token unchanged`,
    );

    {
      const ex = await both((p) => p.exchange('resources/unsubscribe', { uri: subscribed }));
      row('resources', 'resources/unsubscribe', 1, sameExchange('resources/unsubscribe', ex));
    }

    // ---- lists again (gzip-file-as-resource added a session resource) ----
    for (const method of ['tools/list', 'resources/list', 'prompts/list']) {
      const ex = await both((p) => p.exchange(method, {}));
      row(
        'lists (end)',
        method,
        (Object.values(ex[0].response.result ?? {})[0] as unknown[] | undefined)?.length ?? 0,
        sameExchange(`${method} (end)`, ex),
      );
    }

    // ---- errors pass through as the server gives them ----
    let errorsSame = true;
    for (const [method, params] of [
      ['no/such-method', {}],
      ['prompts/get', { name: 'no-such-prompt' }],
      ['resources/read', { uri: 'demo://resource/dynamic/text/0' }],
      ['tasks/get', { taskId: 'no-such-task' }],
    ] as const) {
      const ex = await both((p) => p.exchange(method, params));
      assert.ok(ex[0].response.error, `${method} is an error`);
      errorsSame = sameExchange(`error ${method}`, ex) && errorsSame;
    }
    row('errors', 'unknown method, prompt, resource, task', 4, errorsSame, 'same JSON-RPC error code and message');

    // ---- everything either side received, as a whole ----
    const transcript = (p: ScriptedPeer) =>
      p.received
        .map((m) => {
          const n = normalise(m, used);
          return runningPolls.has(m.id as string | number) && m.method === undefined ? maskRunningTask(n, used) : n;
        })
        .map(canonical)
        .sort();
    const [td, tg] = [transcript(direct), transcript(guarded)];
    row(
      'transcript',
      'every message received (as a multiset)',
      td.length,
      same('whole transcript', td, tg),
      `${direct.received.filter((m) => m.method === 'notifications/message').length} log notifications`,
    );
    // Not required equal (a proxy may renumber), only reported.
    const requestIds = (p: ScriptedPeer) => p.received.filter((m) => m.method !== undefined && m.id !== undefined).map((m) => m.id);
    const [idsD, idsG] = [requestIds(direct), requestIds(guarded)];
    rows.push({
      area: 'server → client',
      compared: 'ids of all server requests',
      count: idsD.length,
      outcome: canonical(idsD) === canonical(idsG) ? 'identical' : 'differ (allowed)',
      notes: 'not normalised here',
    });
    assert.ok(direct.raw.nonJson.length === 0 && guarded.raw.nonJson.length === 0, 'only JSON on stdout');
    // The server's own stderr comes through; the guard said nothing but its start lines (what it guards, which
    // catalog classes the tools): no dropped message.
    const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');
    const startLine = (l: string) => l.includes(' guarding ') || l.startsWith('[mcp-guard] classing tools ');
    const guardSaid = lines(guarded.raw.stderr).filter((l) => l.startsWith('[mcp-guard]') && !startLine(l));
    const serverSaid = lines(guarded.raw.stderr).filter((l) => !l.startsWith('[mcp-guard]'));
    row(
      'stderr',
      "server's stderr; guard log lines besides its start line",
      guardSaid.length,
      same('stderr', [lines(direct.raw.stderr), []], [serverSaid, guardSaid]),
    );

    // ---- the table ----
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const table = [
      '| area | compared | n | outcome | notes |',
      '|---|---|---|---|---|',
      ...rows.map((r) => `| ${r.area} | ${r.compared} | ${r.count} | ${r.outcome} | ${r.notes} |`),
    ];
    console.log(
      `\n    transparency against server-everything (${seconds} s): ${tools.length} tools, ${prompts.length} prompts, ${resources.length} resources, ${templates.length} templates`,
    );
    console.log(table.map((l) => `    ${l}`).join('\n'));
    console.log(`    tools called: ${perTool.join(', ')}`);
    console.log(`    normalisations used: ${[...used].map((r) => `${r} (${RULES[r]})`).join('; ')}`);
    assert.deepEqual(differences, [], differences.join('\n\n'));
  });
});
