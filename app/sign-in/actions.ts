'use server';

import { redirect } from 'next/navigation';
import { z } from 'zod';
import { safeRedirectPath } from '@/lib/auth/safe-redirect';
import { createClient } from '@/lib/supabase/server';

/**
 * Sign-in as a Server Action: the form POSTs here even before (or without) its JavaScript, so the
 * password never lands in a URL, and the session cookie is set on the server response.
 */
const signInSchema = z.object({
  email: z.email({ error: 'Enter your work email address.' }),
  password: z.string().min(1, { error: 'Enter your password.' }),
  next: z.string().optional(),
});

export type SignInState = {
  email: string;
  error?: string;
  fieldErrors?: Partial<Record<'email' | 'password', string>>;
};

export async function signIn(_previous: SignInState, formData: FormData): Promise<SignInState> {
  const email = String(formData.get('email') ?? '');
  const parsed = signInSchema.safeParse({
    email,
    password: formData.get('password') ?? '',
    next: formData.get('next') ?? undefined,
  });
  if (!parsed.success) {
    const fieldErrors: SignInState['fieldErrors'] = {};
    for (const issue of parsed.error.issues) {
      const field = issue.path[0];
      if ((field === 'email' || field === 'password') && !fieldErrors[field]) fieldErrors[field] = issue.message;
    }
    return { email, fieldErrors };
  }
  const supabase = await createClient();
  const { error } = await supabase.auth.signInWithPassword({
    email: parsed.data.email,
    password: parsed.data.password,
  });
  if (error) return { email, error: error.message };
  redirect(safeRedirectPath(parsed.data.next));
}
