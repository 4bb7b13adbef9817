import { UnbundleError } from '../errors.ts';
import { loadPortfolioFile } from '../portfolio/load-portfolio.ts';
import { openPortfolioEmbedder } from './classifier/portfolio-embedder.ts';
import { formatRouteDecision } from './format-route-decision.ts';
import { loadRouting } from './load-routing.ts';
import { decideRoute } from './plan-route.ts';
import { featuresOfText } from './request-features.ts';

export interface ExplainRouteOptions {
  configPath: string;
  text: string;
  model: string;
  tenant?: string | undefined;
  user?: string | undefined;
  headers: Record<string, string>;
  metadata: Record<string, string>;
  json: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
  stderr: NodeJS.WritableStream;
}

/**
 * `unbundle route explain --config`: loads the portfolio's routing exactly as `serve` does and
 * decides for one prompt, calling no model (except an embedding model, when the classifier is an
 * embedding router).
 */
export async function explainPortfolioRoute(options: ExplainRouteOptions): Promise<string> {
  const { portfolio, source } = loadPortfolioFile(options.configPath);
  const table = loadRouting(portfolio);
  if (!table) {
    throw new UnbundleError('UNBUNDLE_E_CONFIG', `${source} configures no routing: add domains or quality to its models, or a router: block (see docs/routing.md).`);
  }
  const features = featuresOfText(options.text, { tenantId: options.tenant, user: options.user, headers: options.headers, metadata: options.metadata });
  const classifier = table.classifier;
  if (classifier?.kind === 'embedding') {
    const embedder = await openPortfolioEmbedder(classifier.embedModel, { configPath: options.configPath, env: options.env, cwd: options.cwd, stderr: options.stderr });
    try {
      features.embedding = (await embedder.embed([options.text]))[0];
    } finally {
      await embedder.close();
    }
  }
  const decision = decideRoute({ requested: options.model, features, table });
  if (!options.json) return formatRouteDecision(decision, table);
  const { plan, rule, prediction, candidates } = decision;
  return JSON.stringify({ plan, rule: rule?.name ?? null, prediction: prediction ?? null, candidates: candidates ?? null }) + '\n';
}
