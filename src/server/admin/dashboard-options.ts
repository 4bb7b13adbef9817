import path from 'node:path';

/** Where the dashboard's endpoints find what they show; everything optional. */
export interface DashboardOptions {
  /** Router file written by `unbundle route train`, for the route tester (env UNBUNDLE_ROUTER_FILE). */
  routerFile?: string | undefined;
  /** Folder of `eval run` results (*.json), for Evaluations (env UNBUNDLE_EVAL_DIR; default ./eval-results, where `eval run` writes). */
  evalDir?: string | undefined;
  /** The data dir holding adapters/ and promotions.json (env UNBUNDLE_DATA_DIR; default ./.unbundle). */
  dataDir: string;
  /** Folder of the built UI (default dist/dashboard next to the sources). */
  assetsDir?: string | undefined;
}

export function dashboardOptionsFromEnv(env: NodeJS.ProcessEnv, cwd: string): DashboardOptions {
  const dataDir = path.resolve(cwd, env.UNBUNDLE_DATA_DIR || '.unbundle');
  return {
    routerFile: env.UNBUNDLE_ROUTER_FILE ? path.resolve(cwd, env.UNBUNDLE_ROUTER_FILE) : undefined,
    evalDir: path.resolve(cwd, env.UNBUNDLE_EVAL_DIR || 'eval-results'),
    dataDir,
  };
}
