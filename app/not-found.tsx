import Link from 'next/link';

export default function NotFound() {
  return (
    <main className="mx-auto max-w-lg px-4 py-24 text-center">
      <h1 className="text-2xl font-semibold">Page not found</h1>
      <p className="mt-2 text-neutral-600">There is nothing at this address.</p>
      <Link href="/exports" className="mt-6 inline-block text-blue-700 underline underline-offset-4">
        Go to exports
      </Link>
    </main>
  );
}
