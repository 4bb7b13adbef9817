import path from 'node:path';

/** The repository root. */
export const repoRoot = path.resolve(import.meta.dirname, '../..');

/**
 * The shared models and data sets: `../shared` beside the repository (as CI lays it out), or
 * UNBUNDLE_SHARED_DIR. Tests that need a file fail with its path when it is missing.
 */
export const sharedDir = process.env.UNBUNDLE_SHARED_DIR ?? path.resolve(repoRoot, '../shared');
export const sharedModel = (file: string): string => path.join(sharedDir, 'models', file);
export const sharedData = (...parts: string[]): string => path.join(sharedDir, 'data', ...parts);
