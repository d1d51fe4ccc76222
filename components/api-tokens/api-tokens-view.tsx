'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { format } from 'date-fns';
import Link from 'next/link';
import { toast } from 'sonner';
import {
  AlertDialog,
  AlertDialogAction,
  AlertDialogCancel,
  AlertDialogContent,
  AlertDialogDescription,
  AlertDialogFooter,
  AlertDialogHeader,
  AlertDialogTitle,
  AlertDialogTrigger,
} from '@/components/ui/alert-dialog';
import { useNow } from '@/components/hooks/use-now';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { RelativeTime } from '@/components/ui/relative-time';
import type { ApiTokenRow } from '@/lib/api-tokens/types';
import { errorMessage } from '@/lib/queries/api-fetch';
import { revokeApiTokenMutationOptions } from '@/lib/queries/api-token-mutations';
import { apiTokensQueryOptions } from '@/lib/queries/api-tokens-query';
import { CreateTokenDialog } from './create-token-dialog';

function tokenState(token: ApiTokenRow, now: number): { label: string; tone: 'done' | 'cancelled' | 'failed' } {
  if (token.revoked_at) return { label: 'Revoked', tone: 'cancelled' };
  if (now > 0 && Date.parse(token.expires_at) <= now) return { label: 'Expired', tone: 'failed' };
  return { label: 'Active', tone: 'done' };
}

/** The organisation's API tokens for its admins: create (shown once), see scopes and last use, revoke. */
export function ApiTokensView({ organisationId, initial }: { organisationId: string; initial: ApiTokenRow[] }) {
  const queryClient = useQueryClient();
  const tokens = useQuery(apiTokensQueryOptions(initial));
  const revoke = useMutation(revokeApiTokenMutationOptions(queryClient));
  // A minute's precision is enough to tell an expired token; 0 until mounted (the server render).
  const now = useNow(60_000);
  const shown = (tokens.data ?? initial).filter((token) => token.organisation_id === organisationId);
  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div className="flex max-w-2xl flex-col gap-1">
          <h1 className="text-2xl font-semibold">API tokens</h1>
          <p className="text-sm text-neutral-600">
            Scripts and pipelines use these to start, follow and download exports through the{' '}
            <Link href="/docs/api" className="text-blue-700 underline underline-offset-4">
              REST API
            </Link>
            . A token acts for this organisation with exactly its scopes.
          </p>
        </div>
        <CreateTokenDialog organisationId={organisationId} />
      </div>
      {shown.length === 0 ? (
        <p className="rounded-md border border-dashed border-neutral-300 p-6 text-sm text-neutral-600">
          No tokens yet. Create one for each script or system, so you can revoke one without stopping the others.
        </p>
      ) : (
        <ul
          className="flex flex-col divide-y divide-neutral-200 rounded-md border border-neutral-200"
          aria-label="API tokens"
        >
          {shown.map((token) => {
            const state = tokenState(token, now);
            return (
              <li key={token.id} className="flex flex-col gap-2 p-4 sm:flex-row sm:items-center sm:justify-between">
                <div className="flex min-w-0 flex-col gap-1">
                  <p className="flex flex-wrap items-center gap-2">
                    <span className="font-medium break-all">{token.name}</span>
                    <Badge tone={state.tone}>{state.label}</Badge>
                  </p>
                  <p className="font-mono text-xs text-neutral-600">{token.prefix}…</p>
                  <p className="flex flex-wrap gap-1">
                    {token.scopes.map((scope) => (
                      <Badge key={scope}>{scope}</Badge>
                    ))}
                  </p>
                  <p className="text-xs text-neutral-600">
                    Created {format(new Date(token.created_at), 'd MMM yyyy')} · expires{' '}
                    {format(new Date(token.expires_at), 'd MMM yyyy')} · last used{' '}
                    {token.last_used_at ? <RelativeTime iso={token.last_used_at} /> : 'never'}
                  </p>
                </div>
                {state.label === 'Active' ? (
                  <AlertDialog>
                    <AlertDialogTrigger asChild>
                      <Button variant="outline" size="sm" aria-label={`Revoke ${token.name}`}>
                        Revoke
                      </Button>
                    </AlertDialogTrigger>
                    <AlertDialogContent>
                      <AlertDialogHeader>
                        <AlertDialogTitle>Revoke “{token.name}”?</AlertDialogTitle>
                        <AlertDialogDescription>
                          Its very next request is refused. Scripts using it stop working until they get a new token.
                        </AlertDialogDescription>
                      </AlertDialogHeader>
                      <AlertDialogFooter>
                        <AlertDialogCancel>Keep it</AlertDialogCancel>
                        <AlertDialogAction
                          onClick={() =>
                            toast.promise(revoke.mutateAsync(token.id), {
                              loading: 'Revoking…',
                              success: `“${token.name}” is revoked`,
                              error: errorMessage,
                            })
                          }
                        >
                          Revoke token
                        </AlertDialogAction>
                      </AlertDialogFooter>
                    </AlertDialogContent>
                  </AlertDialog>
                ) : null}
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
