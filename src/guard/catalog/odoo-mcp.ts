/**
 * MCP Guard's own risk catalog for the Odoo MCP Server (PyPI `odoo-mcp`, 1.3.0).
 *
 * Every entry is judged from what the tool actually does (its description,
 * input schema and the upstream source), never from its MCP annotations:
 * upstream declares `cancel_async_task`, `submit_async_task`, `validate_write`
 * and `read_field_to_file` read-only, and `execute_method` destructive even
 * for plain reads. Annotations may only raise a risk at runtime, never lower it.
 *
 * How the risk classes are used here, so that entries stay comparable:
 * - critical: one call can permanently destroy or discard data or work, or
 *   trigger arbitrary business effects, with no undo and an unbounded target
 *   (many records, any model, any client's task).
 * - high: one call has an effect that cannot be taken back but whose target
 *   is bounded (one field, one message, one new host file).
 * - medium: no lasting damage to business data, but the call changes shared
 *   server state, consumes scarce capacity, touches the host filesystem, or
 *   can pull out bulk / binary data.
 * - low: bounded reads and offline computations; local caches that rebuild.
 *
 * Where this departs from PolicyLayer's published classes it is on purpose:
 * `execute_approved_write` (PolicyLayer: Write / Medium) can unlink records,
 * so it is Destructive / critical here; `validate_write` (PolicyLayer: Read /
 * Low) stores the approval that unlocks a write, so it is Write / medium.
 */
import type { Catalog, ClassJudgement } from './types';

export const ODOO_MCP_VERSION = '1.3.0';

/** execute_method with an ORM method that only reads (within the caller's Odoo rights). */
const READ_LIKE: ClassJudgement = {
  category: 'Read',
  risk: 'low',
  reason: "A read-like ORM method: it returns records, counts or metadata within the caller's Odoo rights and changes nothing.",
};

/** execute_method with an ORM method that creates or changes records but deletes none. */
const WRITE_LIKE: ClassJudgement = {
  category: 'Write',
  risk: 'high',
  reason: 'An ORM method that creates or changes records: values are overwritten with no undo, but nothing is deleted.',
};

export const ODOO_MCP_CATALOG: Catalog = {
  data_quality_report: {
    category: 'Read',
    risk: 'low',
    reason: 'Runs checks over one model and returns findings with a capped sample; nothing in Odoo is changed.',
  },
  diagnose_odoo_call: {
    category: 'Read',
    risk: 'low',
    reason: 'Only analyses the proposed model/method call offline; the call itself is never sent to Odoo.',
  },
  generate_json2_payload: {
    category: 'Read',
    risk: 'low',
    reason: 'Pure formatting of a JSON-2 request body; makes no network call and changes nothing.',
  },
  inspect_model_relationships: {
    category: 'Read',
    risk: 'low',
    reason: 'Returns field and relation metadata of a model; schema only, no record data and no changes.',
  },
  diagnose_access: {
    category: 'Read',
    risk: 'low',
    reason: 'Reports ACLs and record rules and counts visible rows; reveals permissions, changes nothing.',
  },
  upgrade_risk_report: {
    category: 'Read',
    risk: 'low',
    reason: 'Offline migration analysis of supplied modules and methods; no records touched.',
  },
  analyze_upgrade_log: {
    category: 'Read',
    risk: 'low',
    reason: 'Classifies log text the caller supplies; works on the input only, no Odoo access.',
  },
  lookup_model_history: {
    category: 'Read',
    risk: 'low',
    reason: 'Looks a model name up in a bundled rename table; static data, no side effects.',
  },
  fit_gap_report: {
    category: 'Read',
    risk: 'low',
    reason: 'Sorts requirement text into fit/gap buckets, at most reading metadata; no business data changed.',
  },
  scan_addons_source: {
    category: 'Read',
    risk: 'medium',
    reason: 'Reads files under caller-chosen paths on the server host; can expose source and secrets on disk.',
  },
  build_domain: {
    category: 'Read',
    risk: 'low',
    reason: 'Assembles a domain expression from structured input; offline, nothing executed.',
  },
  business_pack_report: {
    category: 'Read',
    risk: 'low',
    reason: 'Compares a business pack against installed modules and models; metadata reads only.',
  },
  get_odoo_profile: {
    category: 'Read',
    risk: 'low',
    reason: 'Returns a capped summary of the Odoo version and modules; read-only, no record data.',
  },
  schema_catalog: {
    category: 'Read',
    risk: 'low',
    reason: 'Reads model metadata; refresh only rebuilds an in-process schema cache, no Odoo data changes.',
  },
  health_check: {
    category: 'Read',
    risk: 'low',
    reason: "Reports the server's own safety settings without secrets; touches nothing.",
  },
  list_instances: {
    category: 'Read',
    risk: 'low',
    reason: 'Lists configured instance names only, credentials omitted; no side effects.',
  },
  list_models: {
    category: 'Read',
    risk: 'low',
    reason: 'Lists model names from the registry; schema only, nothing changed.',
  },
  get_model_fields: {
    category: 'Read',
    risk: 'low',
    reason: 'Returns field definitions of one model; metadata read, nothing changed.',
  },
  search_records: {
    category: 'Read',
    risk: 'low',
    reason: "search_read of records within the caller's Odoo rights and a row limit; no record changes.",
  },
  read_record: {
    category: 'Read',
    risk: 'low',
    reason: 'Fetches one record by id; data exposure limited to that row, nothing changed.',
  },
  read_field_to_file: {
    category: 'Write',
    risk: 'high',
    reason: 'Creates a file on the server host, and file_root accepts any absolute path, despite its read-only label.',
    byArgument: {
      argument: 'file_root',
      absent: {
        category: 'Write',
        risk: 'medium',
        reason: "Creates a new file (never overwriting one) inside the server's configured field-file root, since no file_root is given.",
      },
      otherReason: 'file_root is given, and the server accepts any absolute path there: the file can land anywhere on the host.',
    },
  },
  read_attachment: {
    category: 'Read',
    risk: 'medium',
    reason: 'Returns attachment file bytes by default (include_data); a direct channel for exfiltrating documents.',
  },
  aggregate_records: {
    category: 'Read',
    risk: 'low',
    reason: 'Group-by totals computed in the database; returns aggregates, changes nothing.',
  },
  search_employee: {
    category: 'Read',
    risk: 'low',
    reason: 'Name lookup of employees with a result limit; read-only.',
  },
  search_holidays: {
    category: 'Read',
    risk: 'low',
    reason: 'Reads leave records for a date range; read-only.',
  },
  preview_write: {
    category: 'Read',
    risk: 'low',
    reason: 'Computes the would-be change and an approval token; no record is written and no approval is stored.',
  },
  validate_write: {
    category: 'Write',
    risk: 'medium',
    reason: 'Stores the server-side approval that unlocks execute_approved_write, and may read host files for *_from_path.',
  },
  execute_approved_write: {
    category: 'Destructive',
    risk: 'critical',
    reason: 'Performs create/write/unlink on Odoo records; unlink and overwrites lose data for good, across many ids.',
  },
  chatter_post: {
    category: 'Write',
    risk: 'high',
    reason: 'Posts a message that followers and customers are notified of; once sent it cannot be recalled.',
  },
  write_field_from_file: {
    category: 'Destructive',
    risk: 'high',
    reason: "Replaces a field value with a host file's bytes; the old value is lost, but only one field of one record.",
    byArgument: {
      argument: 'file_root',
      absent: {
        category: 'Destructive',
        risk: 'high',
        reason:
          "Replaces one field of one record with a file from the server's configured field-file root (no file_root given); " +
          'the old value is lost.',
      },
      otherReason:
        'file_root is given, and the server accepts any absolute path there: any host file can be read into the field, ' +
        'and the old value is lost.',
    },
  },
  execute_method: {
    category: 'Execute',
    risk: 'critical',
    reason: 'Calls an arbitrary model method; allowlisted action_*/button_* can post, cancel or send with no undo.',
    byArgument: {
      argument: 'method',
      values: {
        search: READ_LIKE,
        search_read: READ_LIKE,
        read: READ_LIKE,
        read_group: READ_LIKE,
        search_count: READ_LIKE,
        name_search: READ_LIKE,
        fields_get: READ_LIKE,
        create: WRITE_LIKE,
        write: WRITE_LIKE,
        copy: WRITE_LIKE,
        unlink: {
          category: 'Destructive',
          risk: 'critical',
          reason: 'unlink deletes the records for good, across any number of ids; there is no undo.',
        },
      },
      strictPrefixes: [
        { prefix: 'action_', reason: 'An action_* business method: it can post, confirm, cancel or send, with no undo.' },
        {
          prefix: 'button_',
          reason: 'A button_* business method: it does what the button in Odoo does (post, cancel, send), with no undo.',
        },
      ],
      otherReason: "A method MCP Guard does not know (or a method that is not exactly a known name): any method's effects are possible.",
    },
  },
  index_knowledge: {
    category: 'Write',
    risk: 'low',
    reason: 'Reads a capped slice of records into a local search index (replace drops the old one); Odoo is untouched.',
  },
  search_knowledge: {
    category: 'Read',
    risk: 'low',
    reason: 'Queries the local index built earlier; no Odoo access and no changes.',
  },
  knowledge_stats: {
    category: 'Read',
    risk: 'low',
    reason: 'Reports local index sizes; no data returned beyond counts.',
  },
  receivable_payable_aging: {
    category: 'Read',
    risk: 'low',
    reason: 'Computes an aging report from open journal items; aggregated reads only.',
  },
  accounting_health_summary: {
    category: 'Read',
    risk: 'low',
    reason: 'Counts open items and draft invoices; aggregate reads only.',
  },
  search_across_instances: {
    category: 'Read',
    risk: 'medium',
    reason: 'Pulls raw records from every configured instance in one call; wide blast radius for data exposure.',
  },
  aggregate_across_instances: {
    category: 'Read',
    risk: 'low',
    reason: 'Returns per-instance and combined totals; aggregates only, nothing changed.',
  },
  accounting_health_across_instances: {
    category: 'Read',
    risk: 'low',
    reason: 'Aging totals per instance with top partners; aggregated reads, nothing changed.',
  },
  submit_async_task: {
    category: 'Write',
    risk: 'medium',
    reason: 'Starts background work that holds one of only two workers; can starve other clients. Not read-only.',
  },
  get_async_task: {
    category: 'Read',
    risk: 'low',
    reason: 'Returns status and result of a known task id; reads in-memory state only.',
  },
  cancel_async_task: {
    category: 'Destructive',
    risk: 'critical',
    reason: "Kills any client's task for good: its result is thrown away, no undo, despite the read-only label.",
  },
  list_async_tasks: {
    category: 'Read',
    risk: 'low',
    reason: 'Lists recent task ids and states from memory; no side effects.',
  },
};
