import { redirect } from 'next/navigation';
import { AppHeader } from '@/components/layout/app-header';
import { createClient } from '@/lib/supabase/server';
import { createTypesenseClient } from '@/lib/typesense/client';

export const dynamic = 'force-dynamic';

export default async function HomePage() {
  const supabase = await createClient();
  const { data } = await supabase.auth.getClaims();
  if (!data?.claims) redirect('/sign-in');

  const collections = await createTypesenseClient().collections().retrieve();
  return (
    <>
      <AppHeader email={typeof data.claims.email === 'string' ? data.claims.email : undefined} />
      <main className="mx-auto max-w-6xl px-4 py-8">
        <h1 className="text-xl font-semibold">Sources</h1>
        <ul className="mt-4 divide-y divide-neutral-200 rounded border border-neutral-200 bg-white">
          {collections.map((c) => (
            <li key={c.name} className="flex justify-between px-4 py-3">
              <span className="font-mono">{c.name}</span>
              <span className="text-neutral-600">{c.num_documents.toLocaleString('en-US')} records</span>
            </li>
          ))}
        </ul>
      </main>
    </>
  );
}
