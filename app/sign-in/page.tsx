import { SignInForm } from '@/components/auth/sign-in-form';
import { safeRedirectPath } from '@/lib/auth/safe-redirect';

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const { next } = await searchParams;
  return (
    <main className="mx-auto flex min-h-screen max-w-sm flex-col justify-center gap-6 px-4">
      <div>
        <h1 className="text-2xl font-semibold">Sign in to Baton</h1>
        <p className="mt-1 text-sm text-neutral-600">Exports of very large HubSpot content sets.</p>
      </div>
      <SignInForm next={safeRedirectPath(next)} />
    </main>
  );
}
