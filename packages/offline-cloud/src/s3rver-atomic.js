// @ts-check
/**
 * Makes s3rver's filesystem store behave like S3 for concurrent readers: a PUT is atomic (a reader sees the
 * old object or the new one, never a half-written file), and a GET serves the object it opened even if a
 * PUT replaces it mid-read, with that object's own ETag. s3rver 3.7 streams PUTs straight into the object
 * file, sizes GETs by a stat taken before it opens the file and reads the ETag (the .md5 file) after;
 * Lifeboat's agents rewrite progress objects while steps poll them, which exposed the first two, and a
 * lease read with its ETag then written back with If-Match needs the third (an old body with the new
 * ETag would let a stale holder overwrite a fresh lease). Deletes and writes in one folder do not trip
 * over each other either: s3rver's DELETE removes a folder it saw empty, which failed a concurrent DELETE
 * of its neighbour (500) or pulled the folder from under a PUT about to write into it. Plain JavaScript:
 * it runs inside the s3rver worker thread (src/s3rver-thread.js).
 */
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { pipeline } = require('node:stream/promises');
const { Transform } = require('node:stream');
const FilesystemStore = require('s3rver/lib/stores/filesystem');
const S3Object = require('s3rver/lib/models/object');

const ALLOWED_METADATA = S3Object.ALLOWED_METADATA;

function tempName(file) {
  return `${file}.tmp-${process.pid}-${crypto.randomBytes(6).toString('hex')}`;
}

/** Creates a new file, and its folder if a DELETE just removed it (a folder holding our file stays). */
async function createFile(file) {
  for (;;) {
    try {
      return await fs.promises.open(file, 'wx');
    } catch (err) {
      if (/** @type {NodeJS.ErrnoException} */ (err).code !== 'ENOENT') throw err;
      await fs.promises.mkdir(path.dirname(file), { recursive: true });
    }
  }
}

/** @this {any} */
async function putObject(object) {
  const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
  const metadataPath = this.getResourcePath(object.bucket, object.key, 'metadata.json');
  const tmpObject = tempName(objectPath);
  const handle = await createFile(tmpObject);
  const md5Context = crypto.createHash('md5');
  let size = 0;
  try {
    if (Buffer.isBuffer(object.content)) {
      await handle.writeFile(object.content).finally(() => handle.close());
      md5Context.update(object.content);
      size = object.content.length;
    } else {
      const count = new Transform({
        transform(chunk, _encoding, callback) {
          md5Context.update(chunk);
          size += chunk.length;
          callback(null, chunk);
        },
      });
      await pipeline(object.content, count, handle.createWriteStream());
    }
  } catch (err) {
    await fs.promises.unlink(tmpObject).catch(() => undefined); // an upload cut short leaves nothing behind
    throw err;
  }
  const md5 = md5Context.digest('hex');
  const metadata = {};
  for (const [k, v] of Object.entries(object.metadata || {})) {
    if (ALLOWED_METADATA.includes(k) || k.startsWith('x-amz-meta-')) metadata[k] = v;
  }
  const tmpMd5 = tempName(`${objectPath}.md5`);
  const tmpMeta = tempName(metadataPath);
  await fs.promises.writeFile(tmpMd5, md5);
  await fs.promises.writeFile(tmpMeta, JSON.stringify(metadata, null, 2));
  // synchronous renames: no request of this thread can run between them
  fs.renameSync(tmpMeta, metadataPath);
  fs.renameSync(tmpMd5, `${objectPath}.md5`);
  fs.renameSync(tmpObject, objectPath);
  return { size, md5 };
}

/**
 * Opens the object and reads its metadata (ETag included) as one version: a PUT renames its three files in
 * one synchronous step, so if the path still names the inode this GET opened once the metadata is read,
 * that metadata belongs to the opened bytes; otherwise the object was replaced in between and we read again.
 * @this {any}
 */
async function openVersion(bucket, key) {
  const objectPath = this.getResourcePath(bucket, key, 'object');
  for (;;) {
    let handle;
    try {
      handle = await fs.promises.open(objectPath, 'r');
    } catch (err) {
      if (/** @type {NodeJS.ErrnoException} */ (err).code === 'ENOENT') return null;
      throw err;
    }
    try {
      const stat = await handle.stat();
      const metadata = await this.getMetadata(bucket, key);
      const now = await fs.promises.stat(objectPath).catch(() => undefined);
      if (now && now.ino === stat.ino && now.dev === stat.dev) return { handle, stat, metadata };
    } catch (err) {
      if (/** @type {NodeJS.ErrnoException} */ (err).code !== 'ENOENT') {
        await handle.close().catch(() => undefined);
        throw err;
      }
    }
    await handle.close().catch(() => undefined); // replaced or deleted under us: read the current version
  }
}

/** @this {any} */
async function getObject(bucket, key, options) {
  const opened = await openVersion.call(this, bucket, key);
  if (!opened) return null;
  const { handle, stat } = opened;
  try {
    // size, content and ETag come from the one inode this GET opened
    const metadata = { ...opened.metadata, 'content-length': stat.size, 'last-modified': stat.mtime.toUTCString() };
    const lastByte = Math.max(0, stat.size - 1);
    const range = { start: (options && options.start) || 0, end: Math.min((options && options.end) || Infinity, lastByte) };
    const ranged = options && (options.start !== undefined || options.end);
    if (range.start < 0 || Math.min(range.end, lastByte) < range.start) {
      await handle.close();
      const object = new S3Object(bucket, key, null, metadata);
      if (ranged) object.range = range;
      return object;
    }
    const content = handle.createReadStream({ start: range.start, end: range.end, autoClose: true });
    const object = new S3Object(bucket, key, content, metadata);
    if (ranged) object.range = range;
    return object;
  } catch (err) {
    await handle.close().catch(() => undefined);
    if (/** @type {NodeJS.ErrnoException} */ (err).code === 'ENOENT') return null;
    throw err;
  }
}

/** @this {any} */
async function deleteObject(bucket, key) {
  await Promise.all(
    ['object', 'object.md5', 'metadata.json'].map((resource) =>
      fs.promises.unlink(this.getResourcePath(bucket, key, resource)).catch((err) => {
        if (/** @type {NodeJS.ErrnoException} */ (err).code !== 'ENOENT') throw err;
      }),
    ),
  );
  // Empty folders go, each checked and removed in one synchronous step, so no other request of this thread
  // runs in between; a folder another DELETE removed first, or a PUT filled, ends the walk.
  const parts = key.split('/');
  parts.pop(); // the last part is the object's file name, not a folder
  for (; parts.length; parts.pop()) {
    const dir = path.join(this.getBucketPath(bucket), ...parts);
    try {
      if (fs.readdirSync(dir).length) return;
      fs.rmdirSync(dir);
    } catch (err) {
      const code = /** @type {NodeJS.ErrnoException} */ (err).code;
      if (code === 'ENOENT' || code === 'ENOTEMPTY') return;
      throw err;
    }
  }
}

FilesystemStore.prototype.putObject = putObject;
FilesystemStore.prototype.deleteObject = deleteObject;
FilesystemStore.prototype.getObject = getObject;
