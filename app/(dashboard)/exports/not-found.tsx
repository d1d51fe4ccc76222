import Link from 'next/link';

export default function ExportNotFound() {
  return (
    <div className="mx-auto max-w-lg py-16 text-center">
      <h1 className="text-2xl font-semibold">Export not found</h1>
      <p className="mt-2 text-neutral-600">
        This export does not exist, or it belongs to an organisation you are not a member of.
      </p>
      <Link href="/exports" className="mt-6 inline-block text-blue-700 underline underline-offset-4">
        Back to exports
      </Link>
    </div>
  );
}
