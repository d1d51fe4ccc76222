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
import { formatCount } from '@/lib/view-model/format';
import { SettingsSection } from './settings-section';

/** Empty: no approvals. Digits may carry thousands separators ("250,000"). */
const approvalsSchema = z.object({
  threshold: z
    .string()
    .trim()
    .transform((t) => t.replace(/[\s,._']/g, ''))
    .refine((t) => t === '' || /^\d{1,13}$/.test(t), { error: 'Enter a whole number of records, or leave it empty.' })
    .transform((t) => (t === '' ? null : Number(t)))
    .refine((n) => n === null || (n >= 1 && n <= 1_000_000_000_000), {
      error: 'Enter at least 1 record (at most 1,000,000,000,000), or leave it empty.',
    }),
});
type ApprovalsInput = z.input<typeof approvalsSchema>;
type ApprovalsValues = z.output<typeof approvalsSchema>;

/** Exports estimated above the threshold wait for an admin's approval; empty: every export starts on its own. */
export function ApprovalsSection({ initial }: { initial: OrganisationSettings }) {
  const queryClient = useQueryClient();
  const { data: settings } = useQuery(organisationSettingsQueryOptions(initial.id, initial));
  const save = useMutation(organisationSettingsMutationOptions(queryClient, initial.id));
  const id = useId();
  const form = useForm<ApprovalsInput, unknown, ApprovalsValues>({
    resolver: zodResolver(approvalsSchema),
    values: { threshold: settings.approval_threshold === null ? '' : String(settings.approval_threshold) },
  });
  const error = form.formState.errors.threshold?.message;
  return (
    <SettingsSection
      id={`${id}-heading`}
      title="Large exports"
      description="An export estimated above this many records waits as “Awaiting approval” until an admin approves or declines it; the admins are notified. Leave it empty and every export starts on its own."
    >
      <form
        className="flex flex-wrap items-end gap-3"
        onSubmit={(event) =>
          void form.handleSubmit(({ threshold }) =>
            toast.promise(save.mutateAsync({ approvalThreshold: threshold }), {
              loading: 'Saving…',
              success: (s) =>
                s.approval_threshold === null
                  ? 'Exports start without approval.'
                  : `Exports above ${formatCount(s.approval_threshold)} records wait for approval.`,
              error: (e: unknown) => `Could not save: ${errorMessage(e)}`,
            }),
          )(event)
        }
      >
        <div className="flex flex-col gap-1.5">
          <Label htmlFor={`${id}-threshold`}>Approval needed above (records)</Label>
          <Input
            id={`${id}-threshold`}
            inputMode="numeric"
            placeholder="No approval needed"
            className="w-48"
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? `${id}-error` : undefined}
            {...form.register('threshold')}
          />
        </div>
        <Button type="submit" disabled={save.isPending}>
          Save threshold
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
