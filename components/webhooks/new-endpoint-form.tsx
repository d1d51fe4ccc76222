'use client';

import { zodResolver } from '@hookform/resolvers/zod';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Loader2Icon, PlusIcon } from 'lucide-react';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { toast } from 'sonner';
import type { z } from 'zod';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { ApiError, errorMessage } from '@/lib/queries/api-fetch';
import { registerWebhookMutationOptions } from '@/lib/queries/webhook-mutations';
import { webhookEndpointInput } from '@/lib/webhooks/webhook-endpoint-input';
import { WEBHOOK_EVENT_TYPES } from '@/supabase/functions/_shared/webhooks/webhook-events.ts';
import { SecretDialog } from './secret-dialog';

const formSchema = webhookEndpointInput.omit({ organisationId: true });
type FormValues = z.input<typeof formSchema>;

/** Registers an endpoint; the answer's signing secret opens in a dialog, the one time it is shown. */
export function NewEndpointForm({ organisationId }: { organisationId: string }) {
  const queryClient = useQueryClient();
  const register = useMutation(registerWebhookMutationOptions(queryClient));
  const [secret, setSecret] = useState<string | null>(null);
  const form = useForm<FormValues>({
    resolver: zodResolver(formSchema),
    defaultValues: { url: '', events: [...WEBHOOK_EVENT_TYPES] },
  });
  const { errors } = form.formState;

  const onSubmit = form.handleSubmit(async (values) => {
    try {
      const created = await register.mutateAsync({ organisationId, ...formSchema.parse(values) });
      setSecret(created.secret);
      form.reset();
    } catch (error) {
      if (error instanceof ApiError && error.details?.field === 'url') form.setError('url', { message: error.message });
      else toast.error('The endpoint was not added', { description: errorMessage(error) });
    }
  });

  return (
    <section aria-labelledby="new-endpoint-heading" className="flex flex-col gap-3 rounded-lg border p-4">
      <h2 id="new-endpoint-heading" className="text-lg font-semibold">
        Add an endpoint
      </h2>
      <form onSubmit={onSubmit} className="flex flex-col gap-4" noValidate>
        <div className="flex flex-col gap-1.5">
          <Label htmlFor="webhook-url">Endpoint URL</Label>
          <Input
            id="webhook-url"
            type="url"
            inputMode="url"
            placeholder="https://example.com/hooks/baton"
            aria-invalid={errors.url ? true : undefined}
            aria-describedby={errors.url ? 'webhook-url-error' : 'webhook-url-hint'}
            {...form.register('url')}
          />
          {errors.url ? (
            <p id="webhook-url-error" className="text-sm text-red-800">
              {errors.url.message}
            </p>
          ) : (
            <p id="webhook-url-hint" className="text-sm text-neutral-600">
              HTTPS, on a host on the public internet.
            </p>
          )}
        </div>
        <fieldset className="flex flex-col gap-2" aria-describedby={errors.events ? 'webhook-events-error' : undefined}>
          <legend className="mb-1 text-sm font-medium">Events</legend>
          <div className="flex flex-wrap gap-x-6 gap-y-2">
            {WEBHOOK_EVENT_TYPES.map((event) => (
              <label key={event} className="flex items-center gap-2 text-sm">
                <input type="checkbox" value={event} className="size-4 accent-blue-700" {...form.register('events')} />
                <code>{event}</code>
              </label>
            ))}
          </div>
          {errors.events ? (
            <p id="webhook-events-error" className="text-sm text-red-800">
              {errors.events.message}
            </p>
          ) : null}
        </fieldset>
        <Button type="submit" className="w-fit" disabled={register.isPending}>
          {register.isPending ? <Loader2Icon className="animate-spin" aria-hidden /> : <PlusIcon aria-hidden />}
          Add endpoint
        </Button>
      </form>
      <SecretDialog secret={secret} onClose={() => setSecret(null)} />
    </section>
  );
}
