'use client';

import { useQuery } from '@tanstack/react-query';
import { Skeleton } from '@/components/ui/skeleton';
import { errorMessage } from '@/lib/queries/api-fetch';
import { webhookEndpointsQueryOptions } from '@/lib/queries/webhook-endpoints-query';
import { EndpointCard } from './endpoint-card';
import { NewEndpointForm } from './new-endpoint-form';

/**
 * The organisation's webhook endpoints: register one (its secret shown once), and for each its state,
 * its delivery log and what an admin can do about it.
 */
export function WebhooksSettings({ organisationId }: { organisationId: string }) {
  const endpoints = useQuery(webhookEndpointsQueryOptions(organisationId));
  return (
    <div className="flex flex-col gap-8">
      <div className="flex flex-col gap-1">
        <h1 className="text-2xl font-semibold">Webhooks</h1>
        <p className="max-w-prose text-sm text-neutral-700">
          Baton POSTs an event to each endpoint when an export starts, completes, fails or is cancelled, signed as the
          Standard Webhooks specification says: verify it with any Standard Webhooks library and your signing secret. A
          failed delivery is retried for a day with the same <code>webhook-id</code>; an endpoint that has failed for 3
          days is disabled and you are notified.
        </p>
      </div>
      <NewEndpointForm organisationId={organisationId} />
      <section aria-labelledby="endpoints-heading" className="flex flex-col gap-4">
        <h2 id="endpoints-heading" className="text-lg font-semibold">
          Endpoints
        </h2>
        {endpoints.isPending ? (
          <Skeleton className="h-24 w-full" />
        ) : endpoints.isError ? (
          <p role="alert" className="text-sm text-red-800">
            {errorMessage(endpoints.error)}
          </p>
        ) : endpoints.data.length === 0 ? (
          <p className="text-sm text-neutral-700">No endpoints yet. Add one above to receive export events.</p>
        ) : (
          endpoints.data.map((endpoint) => <EndpointCard key={endpoint.id} endpoint={endpoint} />)
        )}
      </section>
    </div>
  );
}
