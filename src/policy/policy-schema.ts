import { z } from 'zod';
import { dataClasses, type DataClass } from './data-class.ts';
import { scannerConfigSchema } from './scanner-config-schema.ts';

/**
 * The `policy:` block of the portfolio config: which detections make which data class, and per
 * class which zones may see the data and what happens otherwise. Per-tenant overrides are keyed by
 * the tenant id that access control puts on the request.
 */

const zoneOrAny = z.string().regex(/^(\*|[a-z][a-z0-9-]{0,63})$/, {
  message: 'must be a zone name (local, self-hosted, external, eu-cloud, ...) or "*" for every zone',
});

export const policyActions = ['route', 'redact', 'block'] as const;
export type PolicyAction = (typeof policyActions)[number];

export const policyRuleSchema = z
  .strictObject({
    /**
     * route: only models in `zones` may answer (an explicit model elsewhere gets 403);
     * redact: models in `zones` see the values, models in `redactedZones` see placeholders instead;
     * block: every request carrying this class is refused.
     */
    action: z.enum(policyActions).default('route'),
    /** Zones that may see the values themselves. */
    zones: z.array(zoneOrAny).optional(),
    /** redact only: zones that may see the request with the values replaced by placeholders (default "*"). */
    redactedZones: z.array(zoneOrAny).optional(),
  })
  .superRefine((rule, ctx) => {
    if (rule.action === 'block' && rule.zones !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['zones'], message: 'block refuses every request carrying this class, so zones mean nothing here — remove zones, or use action: route to allow some zones' });
    }
    if (rule.action !== 'redact' && rule.redactedZones !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['redactedZones'], message: 'redactedZones only applies with action: redact — set action: redact or remove redactedZones' });
    }
  });

export type PolicyRuleConfig = z.infer<typeof policyRuleSchema>;

const classSchema = z.enum(dataClasses, { message: `must be one of ${dataClasses.join(', ')}` });
const labelSchema = z.string().regex(/^[A-Z][A-Z0-9_]*$/, { message: 'must be a detector label such as EMAIL or EMPLOYEE_ID' });

const rulesSchema = z.strictObject(Object.fromEntries(dataClasses.map((c) => [c, policyRuleSchema.optional()])) as Record<DataClass, z.ZodOptional<typeof policyRuleSchema>>);
const classesSchema = z.record(labelSchema, classSchema);

export const tenantPolicySchema = z.strictObject({
  classes: classesSchema.default({}),
  rules: rulesSchema.default({}),
});

export const policySchema = z.strictObject({
  detectors: scannerConfigSchema.prefault({}),
  /** Detector label → data class; built-in labels have defaults (docs/policy.md). */
  classes: classesSchema.default({}),
  /** The class of labels that neither `classes` nor the built-in defaults name (custom detectors). */
  defaultClass: classSchema.default('confidential'),
  rules: rulesSchema.default({}),
  /** Tenant id → overrides of `classes` and `rules` for that tenant's requests. */
  tenants: z.record(z.string().min(1), tenantPolicySchema).default({}),
  audit: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** A JSONL file, always used when set; unset: the ledger store (audit_records) when the ledger is on, else $UNBUNDLE_DATA_DIR/audit.jsonl. */
      file: z.string().min(1).optional(),
    })
    .prefault({}),
});

export type PolicyConfig = z.infer<typeof policySchema>;
export type PolicyInput = z.input<typeof policySchema>;
