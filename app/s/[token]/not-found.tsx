/**
 * Every link that does not work, whatever the reason (unknown, revoked, expired, no file): one page, so
 * the answer tells a visitor nothing about which. No link into the dashboard: visitors have no account.
 */
export default function DeadShareLink() {
  return (
    <main className="mx-auto flex max-w-lg flex-col gap-3 px-4 py-16">
      <h1 className="text-2xl font-semibold">This link does not work</h1>
      <p className="text-neutral-700">
        It does not exist or no longer works. Ask the person who sent it for a new one.
      </p>
    </main>
  );
}
