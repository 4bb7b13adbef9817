import { z } from 'zod';

/**
 * `capture:` in portfolio.yaml — opt-in recording of chosen traffic as a fine-tuning dataset.
 * Off unless `enabled: true`; then only requests matching `models` / `tenants` (both optional
 * filters) are kept, scrubbed by the policy's detectors before anything touches the disk.
 */
export const captureSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** Model ids (the one that answered, or the one requested such as "auto"); empty: all. */
    models: z.array(z.string().min(1)).default([]),
    /** Tenant ids; empty: all (and requests without a tenant). */
    tenants: z.array(z.string().min(1)).default([]),
    /** Folder for the JSONL files; default $UNBUNDLE_DATA_DIR/capture. */
    dir: z.string().min(1).optional(),
    /** replace: sensitive values become <TYPE>; drop: such examples are not kept. */
    scrub: z.enum(['replace', 'drop']).default('replace'),
    /** Share of matching requests kept, 0..1. */
    sampleRate: z.number().min(0).max(1).default(1),
  })
  .prefault({});

export type CaptureConfig = z.infer<typeof captureSchema>;
