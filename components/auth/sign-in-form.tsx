'use client';

import { useActionState } from 'react';
import { signIn, type SignInState } from '@/app/sign-in/actions';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';

/**
 * Posts to the `signIn` Server Action. Before hydration (slow network, a failed chunk) the browser submits
 * the same form as a plain POST (React renders a function `action` as `method="POST"` on the server), so it
 * still signs in and never puts the password in the URL.
 */
export function SignInForm({ next }: { next: string }) {
  const [state, formAction, isPending] = useActionState<SignInState, FormData>(signIn, { email: '' });
  const { fieldErrors, error } = state;

  return (
    <form action={formAction} className="flex flex-col gap-4" aria-describedby={error ? 'sign-in-error' : undefined}>
      <input type="hidden" name="next" value={next} />
      <div className="flex flex-col gap-1">
        <Label htmlFor="email">Email</Label>
        <Input
          id="email"
          name="email"
          type="email"
          required
          autoComplete="email"
          defaultValue={state.email}
          aria-invalid={fieldErrors?.email ? true : undefined}
          aria-describedby={fieldErrors?.email ? 'email-error' : undefined}
        />
        {fieldErrors?.email ? (
          <p id="email-error" className="text-sm text-red-700">
            {fieldErrors.email}
          </p>
        ) : null}
      </div>
      <div className="flex flex-col gap-1">
        <Label htmlFor="password">Password</Label>
        <Input
          id="password"
          name="password"
          type="password"
          required
          autoComplete="current-password"
          aria-invalid={fieldErrors?.password ? true : undefined}
          aria-describedby={fieldErrors?.password ? 'password-error' : undefined}
        />
        {fieldErrors?.password ? (
          <p id="password-error" className="text-sm text-red-700">
            {fieldErrors.password}
          </p>
        ) : null}
      </div>
      {error ? (
        <p id="sign-in-error" role="alert" className="text-sm text-red-700">
          {error}
        </p>
      ) : null}
      <Button type="submit" disabled={isPending}>
        {isPending ? 'Signing in…' : 'Sign in'}
      </Button>
    </form>
  );
}
