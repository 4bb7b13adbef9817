import { UnbundleError } from '../../errors.ts';
import { AdapterRegistry } from '../../tune/registry/adapter-registry.ts';
import { PromotionBook, promoteAdapter, rollbackAdapter } from '../../tune/registry/promote-adapter.ts';
import type { Gateway } from '../gateway.ts';
import type { AdminRoute } from './admin-route.ts';

/** The adapter registry and promotion book of this server's data folder (UNBUNDLE_DATA_DIR). */
function stores(gateway: Gateway): { adapters: AdapterRegistry; book: PromotionBook } {
  const env = gateway.options.env ?? process.env;
  const cwd = gateway.options.cwd ?? process.cwd();
  return { adapters: AdapterRegistry.at(env, cwd), book: PromotionBook.at(env, cwd) };
}

/** Specialists: the registry, and promotion / rollback of an adapter on a running local model (docs/tune.md). */
export const adapterAdminRoutes: AdminRoute[] = [
  {
    method: 'GET',
    path: '/admin/adapters',
    summary: 'registered adapters (versions, hashes, validation loss, eval scores) and what each local model serves',
    handle({ gateway }) {
      const { adapters, book } = stores(gateway);
      const serving = gateway.options.models.list()
        .filter(({ config }) => config.backend === 'llamacpp')
        .map(({ config }) => ({ model: config.id, lora: config.backend === 'llamacpp' ? (config.lora ?? null) : null }));
      return { body: { object: 'list', data: adapters.list(), serving, promotions: book.read().models } };
    },
  },
  {
    method: 'POST',
    path: '/admin/models/:id/promote',
    summary: 'serve a local model with a registered adapter, without a restart: {"adapter":"NAME[@VERSION]"}',
    async handle({ gateway, params, body }) {
      const given = (await body()) as { adapter?: unknown } | undefined;
      if (typeof given?.adapter !== 'string' || given.adapter === '') {
        throw new UnbundleError('UNBUNDLE_E_BAD_REQUEST', 'Send {"adapter": "NAME"} or {"adapter": "NAME@VERSION"} naming a registered adapter ("unbundle tune list").', { param: 'adapter' });
      }
      const { adapters, book } = stores(gateway);
      const record = await promoteAdapter(gateway.options.models, adapters, book, params.id!, given.adapter);
      gateway.options.logger.info({ model: record.model, adapter: record.adapter, lora: record.lora }, 'adapter promoted');
      return { body: record };
    },
  },
  {
    method: 'POST',
    path: '/admin/models/:id/rollback',
    summary: 'serve what a local model served before its last promotion',
    async handle({ gateway, params }) {
      const { book } = stores(gateway);
      const previous = await rollbackAdapter(gateway.options.models, book, params.id!);
      gateway.options.logger.info({ model: params.id, adapter: previous.adapter, lora: previous.lora }, 'adapter rolled back');
      return { body: { ...previous, model: params.id } };
    },
  },
];
