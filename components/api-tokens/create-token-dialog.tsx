'use client';

import { zodResolver } from '@hookform/resolvers/zod';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { PlusIcon } from 'lucide-react';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { z } from 'zod';
import { Button } from '@/components/ui/button';
import {
  Dialog,
  DialogContent,
  DialogDescription,
  DialogHeader,
  DialogTitle,
  DialogTrigger,
} from '@/components/ui/dialog';
import { Input, Select } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { apiTokenScopes } from '@/lib/api-v1/api-token-scopes';
import { errorMessage } from '@/lib/queries/api-fetch';
import { createApiTokenMutationOptions } from '@/lib/queries/api-token-mutations';
import { TokenSecretDialog } from './token-secret-dialog';

const SCOPE_WORDS: Record<(typeof apiTokenScopes)[number], string> = {
  'exports:read': 'Read exports and their events',
  'exports:write': 'Start, cancel and retry exports',
  downloads: 'Download export files',
};

const EXPIRY_DAYS = ['7', '30', '90', '365'] as const;

const tokenForm = z.object({
  name: z.string().trim().min(1, { error: 'Name the token after the script or system that will use it.' }).max(100),
  scopes: z.array(z.enum(apiTokenScopes)).min(1, { error: 'Choose at least one scope.' }),
  expiresInDays: z.enum(EXPIRY_DAYS),
});
type TokenFormValues = z.infer<typeof tokenForm>;

/** "New token": name, scopes and expiry; on success the secret is shown once in its own dialog. */
export function CreateTokenDialog({ organisationId }: { organisationId: string }) {
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  const create = useMutation(createApiTokenMutationOptions(queryClient));
  const form = useForm<TokenFormValues>({
    resolver: zodResolver(tokenForm),
    defaultValues: { name: '', scopes: ['exports:read', 'downloads'], expiresInDays: '90' },
  });
  const { register, handleSubmit, formState, reset, setError } = form;

  const onSubmit = handleSubmit(async (values) => {
    try {
      const created = await create.mutateAsync({
        organisationId,
        name: values.name,
        scopes: values.scopes,
        expiresInDays: Number(values.expiresInDays),
      });
      setOpen(false);
      reset();
      setSecret(created.secret);
    } catch (error) {
      setError('root', { message: errorMessage(error) });
    }
  });

  return (
    <>
      <Dialog open={open} onOpenChange={setOpen}>
        <DialogTrigger asChild>
          <Button>
            <PlusIcon aria-hidden />
            New token
          </Button>
        </DialogTrigger>
        <DialogContent>
          <DialogHeader>
            <DialogTitle>New API token</DialogTitle>
            <DialogDescription>
              The token acts for your organisation with exactly the scopes you choose. It is shown once.
            </DialogDescription>
          </DialogHeader>
          <form onSubmit={(e) => void onSubmit(e)} className="flex flex-col gap-4" noValidate>
            <div className="flex flex-col gap-1.5">
              <Label htmlFor="token-name">Name</Label>
              <Input
                id="token-name"
                placeholder="Nightly warehouse sync"
                aria-invalid={Boolean(formState.errors.name)}
                aria-describedby={formState.errors.name ? 'token-name-error' : undefined}
                {...register('name')}
              />
              {formState.errors.name ? (
                <p id="token-name-error" className="text-sm text-red-700">
                  {formState.errors.name.message}
                </p>
              ) : null}
            </div>
            <fieldset
              className="flex flex-col gap-2"
              aria-describedby={formState.errors.scopes ? 'token-scopes-error' : undefined}
            >
              <legend className="mb-1 text-sm font-medium">Scopes</legend>
              {apiTokenScopes.map((scope) => (
                <label key={scope} className="flex items-start gap-2 text-sm">
                  <input type="checkbox" value={scope} className="mt-0.5 size-4" {...register('scopes')} />
                  <span>
                    <span className="font-mono">{scope}</span>
                    <span className="block text-neutral-600">{SCOPE_WORDS[scope]}</span>
                  </span>
                </label>
              ))}
              {formState.errors.scopes ? (
                <p id="token-scopes-error" className="text-sm text-red-700">
                  {formState.errors.scopes.message}
                </p>
              ) : null}
            </fieldset>
            <div className="flex flex-col gap-1.5">
              <Label htmlFor="token-expiry">Expires after</Label>
              <Select id="token-expiry" {...register('expiresInDays')}>
                {EXPIRY_DAYS.map((days) => (
                  <option key={days} value={days}>
                    {days} days
                  </option>
                ))}
              </Select>
            </div>
            {formState.errors.root ? (
              <p role="alert" className="text-sm text-red-700">
                {formState.errors.root.message}
              </p>
            ) : null}
            <div className="flex justify-end gap-2">
              <Button type="button" variant="outline" onClick={() => setOpen(false)}>
                Cancel
              </Button>
              <Button type="submit" disabled={formState.isSubmitting}>
                {formState.isSubmitting ? 'Creating…' : 'Create token'}
              </Button>
            </div>
          </form>
        </DialogContent>
      </Dialog>
      <TokenSecretDialog secret={secret} onClose={() => setSecret(null)} />
    </>
  );
}
