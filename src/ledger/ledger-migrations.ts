/**
 * The ledger schema, as an ordered list of migrations per SQL dialect. A store records each
 * applied version in `ledger_schema_version`; never edit a released migration, add the next one.
 */

export interface Migration {
  version: number;
  description: string;
  sqlite: string;
  /** Receives the quoted schema name, e.g. "public". */
  postgres: (schema: string) => string;
}

export const ledgerMigrations: readonly Migration[] = [
  {
    version: 1,
    description: 'ledger_rows: one row per request',
    sqlite: `
      CREATE TABLE ledger_rows (
        id TEXT PRIMARY KEY,
        time INTEGER NOT NULL,
        endpoint TEXT, tenant TEXT, key_id TEXT, requested_model TEXT, model TEXT,
        attempts INTEGER NOT NULL,
        domain TEXT, route_reason TEXT, data_class TEXT, stream INTEGER,
        input_tokens INTEGER, output_tokens INTEGER, cached_input_tokens INTEGER, reasoning_tokens INTEGER,
        latency_ms REAL NOT NULL, ttft_ms REAL, compute_ms REAL,
        status TEXT NOT NULL, http_status INTEGER, error_code TEXT,
        cost REAL, currency TEXT NOT NULL, cost_basis TEXT NOT NULL
      );
      CREATE INDEX ledger_rows_time ON ledger_rows (time);`,
    postgres: (schema) => `
      CREATE TABLE ${schema}.ledger_rows (
        id TEXT PRIMARY KEY,
        time BIGINT NOT NULL,
        endpoint TEXT, tenant TEXT, key_id TEXT, requested_model TEXT, model TEXT,
        attempts INTEGER NOT NULL,
        domain TEXT, route_reason TEXT, data_class TEXT, stream BOOLEAN,
        input_tokens BIGINT, output_tokens BIGINT, cached_input_tokens BIGINT, reasoning_tokens BIGINT,
        latency_ms DOUBLE PRECISION NOT NULL, ttft_ms DOUBLE PRECISION, compute_ms DOUBLE PRECISION,
        status TEXT NOT NULL, http_status INTEGER, error_code TEXT,
        cost DOUBLE PRECISION, currency TEXT NOT NULL, cost_basis TEXT NOT NULL
      );
      CREATE INDEX ledger_rows_time ON ${schema}.ledger_rows (time);`,
  },
  {
    version: 2,
    description: "ledger_rows: the client's x-request-id and the models tried, beside the server's id",
    sqlite: `
      ALTER TABLE ledger_rows ADD COLUMN client_request_id TEXT;
      ALTER TABLE ledger_rows ADD COLUMN attempted_models TEXT;`,
    postgres: (schema) => `
      ALTER TABLE ${schema}.ledger_rows ADD COLUMN client_request_id TEXT;
      ALTER TABLE ${schema}.ledger_rows ADD COLUMN attempted_models TEXT;`,
  },
  {
    version: 3,
    description: 'audit_records: the data-policy audit log, append-only (labels and counts, never values)',
    sqlite: `
      CREATE TABLE audit_records (
        id TEXT PRIMARY KEY,
        time INTEGER NOT NULL,
        request_id TEXT NOT NULL, tenant TEXT, endpoint TEXT NOT NULL,
        data_class TEXT NOT NULL, detectors TEXT NOT NULL, zones TEXT NOT NULL, models TEXT NOT NULL,
        decision TEXT NOT NULL, code TEXT
      );
      CREATE INDEX audit_records_time ON audit_records (time);
      CREATE INDEX audit_records_class_time ON audit_records (data_class, time);
      CREATE INDEX audit_records_tenant_time ON audit_records (tenant, time);
      CREATE TRIGGER audit_records_no_update BEFORE UPDATE ON audit_records
        BEGIN SELECT RAISE(ABORT, 'audit_records is append-only'); END;
      CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records
        BEGIN SELECT RAISE(ABORT, 'audit_records is append-only'); END;`,
    postgres: (schema) => `
      CREATE TABLE ${schema}.audit_records (
        id TEXT PRIMARY KEY,
        time BIGINT NOT NULL,
        request_id TEXT NOT NULL, tenant TEXT, endpoint TEXT NOT NULL,
        data_class TEXT NOT NULL, detectors TEXT NOT NULL, zones TEXT NOT NULL, models TEXT NOT NULL,
        decision TEXT NOT NULL, code TEXT
      );
      CREATE INDEX audit_records_time ON ${schema}.audit_records (time);
      CREATE INDEX audit_records_class_time ON ${schema}.audit_records (data_class, time);
      CREATE INDEX audit_records_tenant_time ON ${schema}.audit_records (tenant, time);
      CREATE FUNCTION ${schema}.audit_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'audit_records is append-only'; END $$;
      CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ${schema}.audit_records
        FOR EACH STATEMENT EXECUTE FUNCTION ${schema}.audit_records_append_only();`,
  },
];

export const latestLedgerVersion = ledgerMigrations.at(-1)!.version;
