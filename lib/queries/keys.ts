/**
 * Query key factory: every key the dashboard caches under, built here so an invalidation and the query
 * it targets can never drift apart. Hierarchical: invalidating `exports.all` reaches every export query.
 */
export const queryKeys = {
  exports: {
    all: ['exports'] as const,
    list: () => [...queryKeys.exports.all, 'list'] as const,
    detail: (id: string) => [...queryKeys.exports.all, 'detail', id] as const,
    manifest: (id: string) => [...queryKeys.exports.all, 'manifest', id] as const,
    verification: (id: string) => [...queryKeys.exports.all, 'verification', id] as const,
    shareLinks: (id: string) => [...queryKeys.exports.all, 'share-links', id] as const,
  },
  sources: {
    all: ['sources'] as const,
    list: () => [...queryKeys.sources.all, 'list'] as const,
    detail: (id: string) => [...queryKeys.sources.all, 'detail', id] as const,
    estimate: (id: string, filter: string) => [...queryKeys.sources.all, 'estimate', id, filter] as const,
  },
  system: {
    health: () => ['system', 'health'] as const,
  },
  organisations: {
    all: ['organisations'] as const,
    settings: (id: string) => [...queryKeys.organisations.all, 'settings', id] as const,
    storage: (id: string) => [...queryKeys.organisations.all, 'storage', id] as const,
  },
  apiTokens: {
    list: () => ['api-tokens', 'list'] as const,
  },
  webhooks: {
    all: ['webhooks'] as const,
    endpoints: (organisationId: string) => [...queryKeys.webhooks.all, 'endpoints', organisationId] as const,
    log: (endpointId: string) => [...queryKeys.webhooks.all, 'log', endpointId] as const,
  },
  notifications: {
    all: ['notifications'] as const,
    list: (userId: string) => [...queryKeys.notifications.all, 'list', userId] as const,
  },
};
