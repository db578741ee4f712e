/**
 * @module common
 * Small schemas shared by several resources.
 */
import { z } from 'zod';

/** An opaque resource id as issued by the server, such as `repo_5k2m9x…`. */
export const Id = z.string().min(1).max(64);

/** An ISO 8601 timestamp string. */
export const Timestamp = z.iso.datetime({ offset: true });

/** Path parameters of a resource addressed by id. */
export const IdParams = z.object({ id: Id });
