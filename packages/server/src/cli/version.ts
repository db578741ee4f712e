/**
 * @module cli/version
 * The version `lucid --version` prints: the server package's, which the installable CLI shares.
 */
import serverPackage from '../../package.json' with { type: 'json' };

/** Lucid's version, such as `0.1.0`. */
export const LUCID_VERSION: string = serverPackage.version;
