import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';

/**
 * Object bytes on disk: `<root>/objects/<2 hex>/<version uuid>`, written to `<root>/.tmp/` first and renamed
 * into place (atomic on one filesystem). A version file is never rewritten; replacing an object writes a new
 * version and deletes the old file after the database points at the new one, so a reader that already opened
 * the old file keeps reading consistent bytes.
 */
export class ObjectFiles {
  private readonly tmpDir: string;
  private readonly objectsDir: string;

  constructor(readonly root: string) {
    this.tmpDir = path.join(root, '.tmp');
    this.objectsDir = path.join(root, 'objects');
  }

  async init(): Promise<void> {
    // Leftovers of uploads interrupted by a crash are never referenced by the database.
    await rm(this.tmpDir, { recursive: true, force: true });
    await mkdir(this.tmpDir, { recursive: true });
    await mkdir(this.objectsDir, { recursive: true });
  }

  pathOf(version: string): string {
    return path.join(this.objectsDir, version.slice(0, 2), version);
  }

  /** Opens a version for reading; null when it is gone (deleted or replaced since the row was read). */
  async openVersion(version: string): Promise<FileHandle | null> {
    try {
      return await open(this.pathOf(version), 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async remove(version: string): Promise<void> {
    await rm(this.pathOf(version), { force: true });
  }

  /** A temp file to stream one upload into. */
  startWrite(): TempWrite {
    return new TempWrite(path.join(this.tmpDir, randomUUID()), this);
  }

  async commit(tmpPath: string, version: string): Promise<void> {
    const target = this.pathOf(version);
    await mkdir(path.dirname(target), { recursive: true });
    await rename(tmpPath, target);
  }
}

/** Streams chunks into a temp file with backpressure, counting bytes and computing the MD5 ETag. */
export class TempWrite {
  private readonly stream;
  private readonly hash = createHash('md5');
  size = 0;

  constructor(
    readonly tmpPath: string,
    private readonly files: ObjectFiles,
  ) {
    this.stream = createWriteStream(tmpPath, { flags: 'wx' });
    // Errors surface through write()/finish(); this listener only prevents an unhandled 'error' event.
    this.stream.on('error', () => {});
  }

  async write(chunk: Buffer): Promise<void> {
    this.size += chunk.length;
    this.hash.update(chunk);
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }

  /** Closes the file and moves it into place as `version`; returns the quoted ETag. */
  async finish(version: string): Promise<string> {
    this.stream.end();
    await once(this.stream, 'close');
    if (this.stream.errored) throw this.stream.errored;
    await this.files.commit(this.tmpPath, version);
    return `"${this.hash.digest('hex')}"`;
  }

  async abort(): Promise<void> {
    this.stream.destroy();
    await rm(this.tmpPath, { force: true });
  }
}
