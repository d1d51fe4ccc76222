/**
 * How many bytes storage's backend really holds for an object, or `'missing'`.
 *
 * Neither `info()` nor a listing can tell: both answer from the object's row in `storage.objects`
 * (supabase/storage `src/storage/renderer/head.ts` and `info.ts` build their answer from the row's
 * metadata; `list` is the `storage.search` SQL function), so an object whose bytes were lost while its
 * row stayed still "exists" at the size recorded when it was uploaded. Only a read reaches the backend. A
 * read of one byte (`Range: bytes=0-0`) costs one small request and answers with the backend's length in
 * `Content-Range: bytes 0-0/<length>` (S3 GetObject's header, passed on by Storage's renderer).
 *
 * supabase-js's `download()` takes no request headers, so this is one plain request, authenticated the
 * way supabase-js authenticates (`apikey`, and the same key as Bearer: the gateway swaps a `Bearer sb_…`
 * for a service-role JWT, docs/protocols-2026.md §1).
 */
export type StoredSize = { bytes: number } | 'missing';

export type StoredObjectSize = (bucket: string, key: string, signal?: AbortSignal) => Promise<StoredSize>;

export function storedObjectSize(project: { url: string; secretKey: string }): StoredObjectSize {
  const base = `${project.url.replace(/\/+$/, '')}/storage/v1/object`;
  const headers = { apikey: project.secretKey, Authorization: `Bearer ${project.secretKey}`, Range: 'bytes=0-0' };
  return async (bucket, key, signal) => {
    const path = [bucket, ...key.split('/')].map(encodeURIComponent).join('/');
    // `no-store`: Next.js wraps fetch in route handlers with its data cache, which must not hold these.
    const response = await fetch(`${base}/${path}`, { headers, signal, cache: 'no-store' });
    // Read the one byte or the error body to its end, which hands the connection back at once; only a
    // backend that ignores the range (200, the whole object) is cut off.
    let body: string | null = null;
    if (response.status === 200) await response.body?.cancel().catch(() => undefined);
    else if (response.status === 206) await response.arrayBuffer();
    else body = await response.text();

    if (response.status === 206) {
      const length = /^bytes 0-0\/(\d+)$/.exec(response.headers.get('content-range') ?? '')?.[1];
      if (length === undefined) throw new Error(`Storage answered ${key} without the object's length`);
      return { bytes: Number(length) };
    }
    // A backend that ignores ranges sends the whole object with its length.
    if (response.status === 200) return { bytes: Number(response.headers.get('content-length') ?? NaN) };
    // Byte 0 does not exist: the object is empty.
    if (response.status === 416) return { bytes: 0 };
    // Storage says "not found" as 404, or (older versions, renderer.ts) as 400 with statusCode "404".
    if (response.status === 404 || /"statusCode"\s*:\s*"404"/.test(body ?? '')) return 'missing';
    throw new Error(`Storage answered ${response.status} for ${key}: ${(body ?? '').slice(0, 200)}`);
  };
}
