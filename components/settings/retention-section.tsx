'use client';

import { zodResolver } from '@hookform/resolvers/zod';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId } from 'react';
import { useForm } from 'react-hook-form';
import { toast } from 'sonner';
import { z } from 'zod';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { errorMessage } from '@/lib/queries/api-fetch';
import {
  organisationSettingsMutationOptions,
  organisationSettingsQueryOptions,
  type OrganisationSettings,
} from '@/lib/queries/organisation-settings';
import { SettingsSection } from './settings-section';

const retentionSchema = z.object({
  retentionDays: z
    .number({ error: 'Enter a number of days from 1 to 365.' })
    .int({ error: 'Enter a whole number of days.' })
    .min(1, { error: 'Keep files for at least 1 day.' })
    .max(365, { error: 'Files can be kept for at most 365 days.' }),
});
type RetentionValues = z.infer<typeof retentionSchema>;

/** How long an ended export's files are kept; a change moves every ended export's expiry at once. */
export function RetentionSection({ initial }: { initial: OrganisationSettings }) {
  const queryClient = useQueryClient();
  const { data: settings } = useQuery(organisationSettingsQueryOptions(initial.id, initial));
  const save = useMutation(organisationSettingsMutationOptions(queryClient, initial.id));
  const id = useId();
  const form = useForm<RetentionValues>({
    resolver: zodResolver(retentionSchema),
    values: { retentionDays: settings.retention_days },
  });
  const error = form.formState.errors.retentionDays?.message;
  return (
    <SettingsSection
      id={`${id}-heading`}
      title="Retention"
      description="Completed, cancelled and failed exports keep their files this many days after they ended; then the files are removed (the export, its manifest and its activity stay). An admin can keep one export longer from its page."
    >
      <form
        className="flex flex-wrap items-end gap-3"
        onSubmit={(event) =>
          void form.handleSubmit((values) =>
            toast.promise(save.mutateAsync(values), {
              loading: 'Saving…',
              success: (s) => `Files are now kept ${s.retention_days} day${s.retention_days === 1 ? '' : 's'}.`,
              error: (e: unknown) => `Could not save: ${errorMessage(e)}`,
            }),
          )(event)
        }
      >
        <div className="flex flex-col gap-1.5">
          <Label htmlFor={`${id}-days`}>Keep files for (days)</Label>
          <Input
            id={`${id}-days`}
            type="number"
            inputMode="numeric"
            min={1}
            max={365}
            className="w-32"
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? `${id}-error` : undefined}
            {...form.register('retentionDays', { valueAsNumber: true })}
          />
        </div>
        <Button type="submit" disabled={save.isPending}>
          Save retention
        </Button>
        {error ? (
          <p id={`${id}-error`} className="w-full text-sm text-red-700">
            {error}
          </p>
        ) : null}
      </form>
    </SettingsSection>
  );
}
