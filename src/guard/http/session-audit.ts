/**
 * The audit log as one session of `mcp-guard serve` writes it: the shared log, each line labelled with
 * the session's number so an audit reader can tell the sessions apart. The number, never the
 * Mcp-Session-Id: the id is a credential for the session and stays out of files.
 */
import type { AuditSink } from '../audit-events';

export function sessionAudit(shared: AuditSink, session: number): AuditSink {
  return {
    write: (event) => shared.write(event, session),
    flush: () => shared.flush(),
    // The shared log outlives every session: the server closes it once, when it stops.
    close: () => {},
    get problem() {
      return shared.problem;
    },
  };
}
