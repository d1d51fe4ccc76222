import { storageErrors } from './errors';

/**
 * A streaming multipart/form-data reader for uploads (storage-js sends a Blob/File/FormData this way:
 * `cacheControl`, optional `metadata`/`contentEncoding` fields, then the file under the field name `""`).
 * Small fields are collected; the file part is handed to `onFileChunk` chunk by chunk as it arrives, so a
 * large upload is never held in memory: at most one network chunk plus the boundary length is buffered.
 */
export type MultipartResult = {
  fields: Map<string, string>;
  file: { contentType: string | null } | null;
};

const MAX_HEADER_BYTES = 16 * 1024;
const MAX_FIELD_BYTES = 64 * 1024;

export function multipartBoundary(contentType: string): string | null {
  const match = /;\s*boundary=(?:"([^"]+)"|([^\s;]+))/i.exec(contentType);
  return match ? (match[1] ?? match[2] ?? null) : null;
}

type PartHeaders = { name: string | null; filename: string | null; contentType: string | null };

function parsePartHeaders(block: string): PartHeaders {
  const result: PartHeaders = { name: null, filename: null, contentType: null };
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const header = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (header === 'content-disposition') {
      result.name = /;\s*name="([^"]*)"/i.exec(value)?.[1] ?? null;
      result.filename = /;\s*filename="([^"]*)"/i.exec(value)?.[1] ?? null;
    } else if (header === 'content-type') {
      result.contentType = value;
    }
  }
  return result;
}

export async function readMultipart(
  body: AsyncIterable<Buffer>,
  boundary: string,
  onFileChunk: (chunk: Buffer) => Promise<void>,
): Promise<MultipartResult> {
  // Every delimiter is preceded by CRLF except the very first; prefixing one makes them all alike.
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const headerEnd = Buffer.from('\r\n\r\n');
  const fields = new Map<string, string>();
  let file: MultipartResult['file'] = null;

  // Widened on purpose: `step` mutates it, which TypeScript's narrowing of a `let` cannot see.
  let state = 'preamble' as 'preamble' | 'afterDelimiter' | 'headers' | 'body' | 'done';
  let pending: Buffer = Buffer.from('\r\n');
  let part: PartHeaders | null = null;
  let isFile = false;
  let fieldChunks: Buffer[] = [];
  let fieldBytes = 0;

  const emit = async (data: Buffer) => {
    if (data.length === 0) return;
    if (isFile) {
      await onFileChunk(data);
    } else {
      fieldBytes += data.length;
      if (fieldBytes > MAX_FIELD_BYTES) throw storageErrors.invalidRequest('Multipart field too large');
      fieldChunks.push(data);
    }
  };

  const finishPart = () => {
    if (part && !isFile && part.name !== null) fields.set(part.name, Buffer.concat(fieldChunks).toString('utf8'));
    part = null;
    isFile = false;
    fieldChunks = [];
    fieldBytes = 0;
  };

  const step = async (): Promise<boolean> => {
    switch (state) {
      case 'preamble': {
        const at = pending.indexOf(delimiter);
        if (at < 0) {
          pending = pending.subarray(Math.max(0, pending.length - delimiter.length));
          return false;
        }
        pending = pending.subarray(at + delimiter.length);
        state = 'afterDelimiter';
        return true;
      }
      case 'afterDelimiter': {
        if (pending.length < 2) return false;
        const tail = pending.subarray(0, 2).toString('latin1');
        if (tail === '--') {
          state = 'done';
          return false;
        }
        if (tail !== '\r\n') throw storageErrors.invalidRequest('Malformed multipart body');
        pending = pending.subarray(2);
        state = 'headers';
        return true;
      }
      case 'headers': {
        const at = pending.indexOf(headerEnd);
        if (at < 0) {
          if (pending.length > MAX_HEADER_BYTES) throw storageErrors.invalidRequest('Multipart headers too large');
          return false;
        }
        part = parsePartHeaders(pending.subarray(0, at).toString('utf8'));
        pending = pending.subarray(at + headerEnd.length);
        // The file is the part with a filename (storage-js: field "" with filename "blob"); the first one wins.
        isFile = part.filename !== null && file === null;
        if (isFile) file = { contentType: part.contentType };
        state = 'body';
        return true;
      }
      case 'body': {
        const at = pending.indexOf(delimiter);
        if (at >= 0) {
          await emit(pending.subarray(0, at));
          pending = pending.subarray(at + delimiter.length);
          finishPart();
          state = 'afterDelimiter';
          return true;
        }
        // Keep just enough to recognise a delimiter split across two network chunks.
        const keep = delimiter.length - 1;
        if (pending.length > keep) {
          await emit(pending.subarray(0, pending.length - keep));
          pending = Buffer.from(pending.subarray(pending.length - keep));
        }
        return false;
      }
      case 'done':
        return false;
    }
  };

  for await (const chunk of body) {
    if (state === 'done') continue; // epilogue: ignored, as the spec says
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (await step()) {
      /* keep stepping while progress is made */
    }
  }
  if (state !== 'done') throw storageErrors.invalidRequest('Malformed multipart body: missing closing boundary');
  return { fields, file };
}
