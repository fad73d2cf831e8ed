/**
 * What the client set up with the server — its initialize params and capabilities, the logging
 * level and resource subscriptions the server accepted — kept so a restarted server can be given
 * the same session: the guard redoes the handshake and replays that state itself.
 */
import { canonicalJson } from '../canonical-json';
import { redactSecretsInText } from '../secrets';
import type { Channel } from './channel';
import { isPlainObject, notificationLine } from './jsonrpc';
import type { OwnRequests } from './own-requests';
import type { SessionChange } from './pending';

/** Subscriptions kept for replay (each URI at most MAX_URI_LENGTH characters, so this bounds their memory). */
const MAX_REMEMBERED_SUBSCRIPTIONS = 256;

export class UpstreamSession {
  private clientCaps: Record<string, unknown> = {};
  private serverCaps: Record<string, unknown> | undefined;
  private initializeParams: Record<string, unknown> | undefined;
  private initializedSent = false;
  private loggingLevel: string | undefined;
  private readonly subscriptions = new Set<string>();

  constructor(
    private readonly channel: Channel,
    private readonly own: OwnRequests,
    private readonly log: (message: string) => void,
  ) {}

  /** Whether the client has sent initialize (no tool call or resource request is forwarded before). */
  get initializeSeen(): boolean {
    return this.initializeParams !== undefined;
  }

  get clientCapabilities(): Record<string, unknown> {
    return this.clientCaps;
  }

  /** The server's capabilities from its last initialize answer (undefined before one). */
  get upstreamCapabilities(): Record<string, unknown> | undefined {
    return this.serverCaps;
  }

  clientInitialize(params: unknown): void {
    if (isPlainObject(params) && isPlainObject(params['capabilities'])) this.clientCaps = params['capabilities'];
    this.initializeParams = isPlainObject(params) ? params : {};
  }

  clientInitialized(): void {
    this.initializedSent = true;
  }

  serverInitialized(result: unknown): void {
    if (isPlainObject(result) && isPlainObject(result['capabilities'])) this.serverCaps = result['capabilities'];
  }

  /** Keeps session state a request set once the server accepted it. */
  accepted(change: SessionChange): void {
    if ('level' in change) this.loggingLevel = change.level;
    else if ('subscribe' in change) {
      if (this.subscriptions.size < MAX_REMEMBERED_SUBSCRIPTIONS || this.subscriptions.has(change.subscribe))
        this.subscriptions.add(change.subscribe);
      else
        this.log(
          `not remembering the subscription beyond the first ${MAX_REMEMBERED_SUBSCRIPTIONS}: a restarted server will not get it again`,
        );
    } else this.subscriptions.delete(change.unsubscribe);
  }

  /**
   * Initializes a replacement server with the client's own initialize params (the answer is the
   * guard's, not passed on) and its notifications/initialized, then replays the session state.
   * False when the restart was overtaken (the server stopped again); rejects when the handshake fails.
   */
  async handshake(): Promise<boolean> {
    if (this.initializeParams === undefined) return true;
    const result = await this.own.requestUpstream('initialize', this.initializeParams, true);
    if (!isPlainObject(result)) throw new Error('the server answered initialize without a result object');
    const capabilities = isPlainObject(result['capabilities']) ? result['capabilities'] : {};
    if (this.serverCaps !== undefined && canonicalJson(capabilities) !== canonicalJson(this.serverCaps)) {
      this.log('the restarted server declares other capabilities than the first one; the client still knows the first ones');
    }
    this.serverCaps = capabilities;
    if (this.channel.upstreamState !== 'restarting') return false;
    if (this.initializedSent) {
      this.channel.sendUpNow(notificationLine('notifications/initialized'));
      this.replay();
    }
    return true;
  }

  /**
   * Sent before the requests that waited, so they see it; answers are the guard's own (failures
   * are logged, not passed on).
   */
  private replay(): void {
    const replay: [string, Record<string, unknown>][] = [];
    if (this.loggingLevel !== undefined) replay.push(['logging/setLevel', { level: this.loggingLevel }]);
    for (const uri of this.subscriptions) replay.push(['resources/subscribe', { uri }]);
    for (const [method, params] of replay) {
      this.own
        .requestUpstream(method, params, true)
        .catch((e: Error) =>
          this.log(redactSecretsInText(`the restarted server refused ${method} ${JSON.stringify(params)}: ${e.message}`)),
        );
    }
    // URIs can carry tokens (`?access_token=`): the log keeps only what the secret detector lets through.
    if (replay.length > 0)
      this.log(redactSecretsInText(`replayed to the restarted server: ${replay.map(([m, p]) => `${m} ${JSON.stringify(p)}`).join(', ')}`));
  }
}
