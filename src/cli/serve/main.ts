/**
 * `mcp-guard serve`, the entry of dist/mcp-guard-serve.js (loaded by dist/mcp-guard.js only for this
 * command): an HTTP server that checks who is asking (access.ts), caps bodies (body.ts), answers
 * /healthz, checks each MCP request's headers and messages (wire.ts), and hands it to its session
 * (http-session.ts), creating one per initialize.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AccessCheck, corsHeaders, isLoopbackHost, preflightHeaders } from '../../guard/http/access';
import { readBody, type BodyResult } from '../../guard/http/body';
import { getRefusal, parseBody, postRefusal, protocolVersionRefusal } from '../../guard/http/wire';
import { SessionRegistry } from '../../guard/http/sessions';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../../guard/proxy/jsonrpc';
import { BRIDGE_ADDRESS_ENV, BRIDGE_TOKEN_ENV } from '../../guard/bridge/protocol';
import { EditorBridgeClient } from '../../guard/io/bridge-client';
import { withParent } from '../../guard/io/parent-process';
import type { Mode } from '../../guard/policy/model';
import { VERSION } from '../../guard/version';
import { UsageError, type ServeOptions } from '../args';
import { log, openAudit, openPins, openPolicy, type UpstreamLinkEvents } from '../wiring';
import { HttpUpstream } from '../http-upstream';
import { openSharedLimits } from '../state';
import { HttpSession } from './http-session';
import { heapAfterCollection } from './heap';

/** Shortest token accepted from --token-file: a bearer token must not be guessable either. */
const MIN_TOKEN_LENGTH = 16;

function readToken(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`--token-file ${file} cannot be read: ${(e as Error).message}`);
  }
  const token = text.trim();
  if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token))
    throw new UsageError(`--token-file ${file} must hold one token of at least ${MIN_TOKEN_LENGTH} characters without spaces`);
  return token;
}

/** A JSON-RPC error as the body of an HTTP error, as the SDK's server transport answers too. */
function httpError(res: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * The editor bridge when serve runs where VS Code handed one over (an integrated terminal of a window
 * with MCP Guard): every session's approvals go there first. The variables are removed either way,
 * so no session's server process inherits them.
 */
function editorBridge(
  name: string,
  hooks: Pick<ConstructorParameters<typeof EditorBridgeClient>[0], 'mode' | 'onSetMode' | 'onResetRateLimits'>,
): EditorBridgeClient | undefined {
  const address = process.env[BRIDGE_ADDRESS_ENV];
  const token = process.env[BRIDGE_TOKEN_ENV];
  delete process.env[BRIDGE_TOKEN_ENV];
  delete process.env[BRIDGE_ADDRESS_ENV];
  if (!address || !token) return undefined;
  return new EditorBridgeClient({ address, token, server: name, version: VERSION, ...withParent(), ...hooks, log });
}

/** Serves until SIGINT / SIGTERM / SIGHUP; resolves with the exit code. */
export async function serveGuard(opts: ServeOptions): Promise<number> {
  let token: string | undefined;
  try {
    token = opts.tokenFile === undefined ? undefined : readToken(opts.tokenFile);
  } catch (e) {
    // This bundle's UsageError is not dist/mcp-guard.js's: the usage exit is taken here.
    process.stderr.write(`mcp-guard: ${(e as Error).message}\n`);
    return 2;
  }
  const access = new AccessCheck({
    ...(token !== undefined ? { token } : {}),
    allowOrigins: opts.allowOrigins,
    loopback: isLoopbackHost(opts.host),
  });
  const maxBodyBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const audit = openAudit(opts, 'tcp');
  const { policy, policyFile, basePolicyFile } = openPolicy(opts, audit);
  const pins = openPins(opts);
  const sessions = new SessionRegistry<HttpSession>(opts.maxSessions);
  let sessionsStarted = 0;
  const upstreamUrl = opts.upstreamUrl === undefined ? undefined : new URL(opts.upstreamUrl);
  /** The sessions with a gate, for mode changes and rate-limit resets from VS Code. */
  const live = new Set<HttpSession>();
  let mode: Mode = opts.mode;
  const bridge = editorBridge(opts.name, {
    mode: () => mode,
    onSetMode: (m) => {
      log(`mode set to ${m} from VS Code`);
      mode = m;
      for (const s of live) s.setMode(m);
    },
    onResetRateLimits: () => {
      log('rate limits reset from VS Code');
      for (const s of live) s.resetRateLimits();
    },
  });
  // One store of shared rate limits for every session: with memory state, `scope: shared` is one budget for all of them.
  const shared = openSharedLimits(opts, audit, log, (notice) => bridge?.notifyState(notice));
  const editor = bridge
    ? { approvers: [bridge], onDecision: bridge.notifyDecision.bind(bridge), onToolsRead: bridge.notifyTools.bind(bridge) }
    : undefined;

  const newSession = (): HttpSession => {
    const session: HttpSession = new HttpSession({
      // A session starts in the mode VS Code last set.
      opts: { ...opts, mode },
      pins,
      policy,
      audit,
      shared,
      label: ++sessionsStarted,
      idleMs: opts.sessionIdleSeconds * 1000,
      log,
      onInitialized: (id, session) => sessions.add(id, session),
      onClosed: (session) => {
        live.delete(session);
        if (session.id !== undefined) sessions.remove(session.id);
        else sessions.release();
      },
      ...(upstreamUrl !== undefined
        ? {
            connect: (events: UpstreamLinkEvents) =>
              new HttpUpstream(
                {
                  url: upstreamUrl,
                  label: opts.command,
                  ...(opts.upstreamHeaders ? { headers: opts.upstreamHeaders } : {}),
                  ...(opts.maxMessageBytes !== undefined ? { maxMessageBytes: opts.maxMessageBytes } : {}),
                },
                events,
                log,
              ),
          }
        : {}),
      ...(editor ? { editor } : {}),
    });
    live.add(session);
    return session;
  };

  // Synchronous up to the body, then a callback: no promise or async frame per request (serve's hot path).
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const { origin } = req.headers;
    const preflight = req.method === 'OPTIONS' && origin !== undefined;
    const refusal = access.refusal({ authorization: req.headers.authorization, origin, host: req.headers.host }, preflight);
    if (refusal !== undefined) {
      return httpError(res, refusal.status, -32000, refusal.message, refusal.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {});
    }
    // From here on the origin (if any) is allowed: a browser page of it may read the answers.
    if (origin !== undefined) for (const [name, value] of Object.entries(corsHeaders(origin))) res.setHeader(name, value);
    if (preflight) {
      res.writeHead(204, preflightHeaders(origin));
      return void res.end();
    }
    const url = req.url ?? '/';
    // The usual request names the MCP path exactly: no URL parse for it.
    const parsedUrl =
      url === opts.path || (url.startsWith(opts.path) && url[opts.path.length] === '?') ? undefined : new URL(url, 'http://guard.invalid');
    const path = parsedUrl === undefined ? opts.path : parsedUrl.pathname;
    if (path === '/healthz') {
      if (req.method !== 'GET') return httpError(res, 405, -32000, 'Method not allowed', { Allow: 'GET' });
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
      const heap = parsedUrl?.searchParams.get('heap') === '1' ? heapAfterCollection() : undefined;
      res.end(
        JSON.stringify({
          status: 'ok',
          sessions: sessions.size,
          policyValid: policy.state.kind === 'valid',
          ...(heap !== undefined ? { heap } : {}),
        }),
      );
      return;
    }
    if (path !== opts.path) return httpError(res, 404, -32000, `Not found: MCP is served at ${opts.path}`);
    if (req.method !== 'GET' && req.method !== 'POST' && req.method !== 'DELETE')
      return httpError(res, 405, -32000, 'Method not allowed', { Allow: 'GET, POST, DELETE' });

    const sessionHeader = req.headers['mcp-session-id'];
    const session = typeof sessionHeader === 'string' ? sessions.get(sessionHeader) : undefined;
    const unknownSession = () =>
      sessionHeader === undefined
        ? httpError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required (only an initialize starts a session)')
        : // Unknown or ended: the spec's 404 tells the client to start a new session.
          httpError(res, 404, -32001, 'Session not found');

    if (req.method === 'GET' || req.method === 'DELETE') {
      const wrong =
        (req.method === 'GET' ? getRefusal(req.headers.accept) : undefined) ??
        (session !== undefined ? protocolVersionRefusal(req.headers['mcp-protocol-version']) : undefined);
      if (wrong !== undefined) return httpError(res, wrong.status, wrong.code, wrong.message);
      if (session === undefined) return unknownSession();
      if (req.method === 'GET') return session.get(req, res);
      // The session leaves the registry at once (its id is 404 from now on); its process is stopped meanwhile.
      void session.close('the client ended the session');
      res.writeHead(200).end();
      return;
    }

    const wrong = postRefusal(req.headers.accept, req.headers['content-type']);
    if (wrong !== undefined) return httpError(res, wrong.status, wrong.code, wrong.message);
    const afterBody = (read: BodyResult): void => {
      if (read.kind === 'aborted') return;
      if (read.kind === 'too-large') {
        // The rest of the body is not read: the connection goes with the answer.
        httpError(res, 413, -32000, `Payload too large: over ${maxBodyBytes} bytes (--max-message-bytes)`, { Connection: 'close' });
        res.on('finish', () => req.destroy());
        return;
      }
      const parsed = parseBody(read.text);
      if (parsed.kind === 'refused') return httpError(res, parsed.refusal.status, parsed.refusal.code, parsed.refusal.message);
      const { messages, batch } = parsed;
      const initialize = messages.find((m) => m.kind === 'request' && m.method === 'initialize');
      if (sessionHeader !== undefined) {
        if (session === undefined) return unknownSession();
        if (initialize !== undefined) return httpError(res, 400, -32600, 'Invalid Request: Server already initialized');
        const version = protocolVersionRefusal(req.headers['mcp-protocol-version']);
        if (version !== undefined) return httpError(res, version.status, version.code, version.message);
        return session.post(res, messages, batch, batch ? undefined : read.text);
      }
      if (initialize === undefined) return unknownSession();
      if (messages.length > 1) return httpError(res, 400, -32600, 'Invalid Request: Only one initialization request is allowed');
      if (!sessions.reserve())
        return httpError(res, 503, -32000, `Service unavailable: ${opts.maxSessions} sessions are open (--max-sessions)`, {
          'Retry-After': '5',
        });
      newSession().initialize(res, initialize, read.text);
    };
    // Defined first: a body announced too large is refused at once, before any byte is read.
    readBody(req, maxBodyBytes, (read) => guarded(req, res, () => afterBody(read)));
  };

  /** Runs one step of answering a request; a bug in it is a 500 for that request, not a crash of the guard. */
  const guarded = (req: IncomingMessage, res: ServerResponse, step: () => void): void => {
    try {
      step();
    } catch (e) {
      log(`internal error answering ${req.method} ${req.url}: ${(e as Error).stack ?? (e as Error).message}`);
      if (!res.headersSent) httpError(res, 500, -32603, 'Internal error');
      else res.destroy();
    }
  };

  const server = createServer((req, res) => guarded(req, res, () => handle(req, res)));

  return new Promise<number>((done) => {
    let finished = false;
    const finish = async (code: number, reason: string) => {
      if (finished) return;
      finished = true;
      server.close();
      server.closeAllConnections();
      await sessions.closeAll(reason);
      await shared.close();
      bridge?.close();
      policy.close();
      audit.write({ event: 'stop', reason });
      // Bounded: a dead or slow OTLP collector delays the exit by at most OTLP_SHUTDOWN_MS.
      await audit.end();
      done(code);
    };
    process.on('exit', () => audit.close());
    process.on('uncaughtException', (error) => {
      log(`internal error: ${error.stack ?? error.message}`);
      audit.write({ event: 'stop', reason: `internal error: ${error.message}` });
      audit.close();
      // The sessions' server processes read their stdin to its end and leave with the guard.
      process.exit(70);
    });
    server.on('error', (e: NodeJS.ErrnoException) => {
      log(`cannot listen on ${opts.host}:${opts.port}: ${e.message}`);
      void finish(1, `cannot listen: ${e.message}`);
    });
    server.listen(opts.port, opts.host, () => {
      const { port } = server.address() as AddressInfo;
      audit.write({
        event: 'start',
        version: VERSION,
        mode: opts.mode,
        policy: policyFile ?? null,
        ...(basePolicyFile !== undefined ? { base_policy: basePolicyFile } : {}),
        upstream: opts.command,
        pid: process.pid,
      });
      const each = upstreamUrl === undefined ? 'one server process per session' : `one session of ${opts.command} per session`;
      log(`guarding "${opts.name}" in ${opts.mode} mode (MCP Guard ${VERSION}), ${each}`);
      log(`listening on http://${urlHost(opts.host)}:${port}${opts.path}`);
      if (bridge) {
        void bridge
          .start()
          .then((ok) =>
            log(ok ? 'connected to VS Code for approvals' : 'VS Code is not reachable yet; approvals use MCP elicitation until it is'),
          );
      }
    });
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.on(signal, () => void finish(0, `received ${signal}`));
    }
  });
}
