/**
 * @module sandbox/docker/build-image
 * Builds the sandbox image from the `sandbox-image/` folder through the Engine API: the folder is
 * sent as a tar build context, the base image is a build argument, and the build log is streamed.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { pack } from 'tar-stream';

/** The image the driver runs unless told otherwise. */
export const DEFAULT_SANDBOX_IMAGE = 'lucid-sandbox:latest';

/** The base image users with a registry build from. */
export const DEFAULT_BASE_IMAGE = 'debian:bookworm-slim';

/** The `sandbox-image/` folder of this checkout. */
export const sandboxImageContext = fileURLToPath(
  new URL('../../../../../sandbox-image', import.meta.url),
);

export interface BuildImageOptions {
  docker: Docker;
  /** Image name and tag to give the result. */
  tag: string;
  /** Passed as the `BASE_IMAGE` build argument. */
  baseImage: string;
  /** The folder holding the Dockerfile; `sandbox-image/` by default. */
  contextDir?: string;
  /** Each line of the build log, as the engine sends it. */
  onLog?: (text: string) => void;
}

/** A build the engine refused or that failed; the message is the engine's. */
export class ImageBuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageBuildError';
  }
}

interface BuildEvent {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

/**
 * Builds the sandbox image and resolves with its id.
 *
 * @example
 * await buildSandboxImage({ docker, tag: 'lucid-sandbox:latest', baseImage: 'debian:bookworm-slim',
 *   onLog: (text) => process.stdout.write(text) });
 */
export async function buildSandboxImage(options: BuildImageOptions): Promise<string> {
  const { docker, tag, baseImage, onLog } = options;
  const context = await tarContext(options.contextDir ?? sandboxImageContext);
  const stream = await docker.buildImage(context, {
    t: tag,
    buildargs: { BASE_IMAGE: baseImage },
    rm: true,
    forcerm: true,
  });
  let imageId: string | undefined;
  let failure: string | undefined;
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (error: Error | null) => (error ? reject(error) : resolve()),
      (event: BuildEvent) => {
        if (event.error !== undefined) failure = event.errorDetail?.message ?? event.error;
        if (event.aux?.ID) imageId = event.aux.ID;
        const text = event.stream ?? (event.status ? `${event.status}\n` : undefined);
        if (text) onLog?.(text);
      },
    );
  });
  if (failure !== undefined) throw new ImageBuildError(failure.trim());
  const image = await docker.getImage(tag).inspect();
  return imageId ?? image.Id;
}

/** The folder as an uncompressed tar stream, paths relative to it. */
async function tarContext(dir: string): Promise<NodeJS.ReadableStream> {
  const archive = pack();
  const files = await listFiles(dir);
  (async () => {
    for (const file of files) {
      const info = await stat(path.join(dir, file));
      archive.entry(
        { name: file, mode: info.mode & 0o777, mtime: info.mtime },
        await readFile(path.join(dir, file)),
      );
    }
    archive.finalize();
  })().catch((error: unknown) => archive.destroy(error as Error));
  // tar-stream's streams are streamx streams; the engine client wants a Node.js stream.
  return archive.pipe(new PassThrough());
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) found.push(...(await listFiles(dir, relative)));
    else if (entry.isFile()) found.push(relative);
  }
  return found.sort();
}
