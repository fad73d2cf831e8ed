/** The policy example of the guard-core issue (most of its comments left out), shared by the evaluation tests. */
export const SPEC_EXAMPLE = `version: 1
default: allow
risk:
  critical: deny
  high: require_approval
hide: [read_field_to_file]
tools:
  cancel_async_task:
    action: require_approval
    reason: Cancelling a background task is irreversible
    approval_timeout: 60        # seconds
  search_records:
    rate_limit: { max: 10, window: 60 }
  "write_field_*":
    action: deny
    reason: No file transfers between the Odoo host and agents
  execute_method:
    action: require_approval
    when:
      - { path: args.model, op: in, value: [res.partner, sale.order] }
`;
