/**
 * @module sandbox/local/system-view
 * The host system as a bubblewrap sandbox sees it: `/usr` and its companion folders read-only,
 * and of `/etc` only what programs need to run — the dynamic linker's cache, `alternatives`, CA
 * certificates, time zone, git's system configuration, toolchain folders — never the whole of it
 * (no password hashes, host keys, credentials or service configuration). `passwd`, `group`, `hosts`
 * and `nsswitch.conf` are written by Lucid into a folder of the driver's (`<root>/.system/etc`):
 * they name only the sandbox's user, `localhost`, the sandbox and Lucid's host.
 */
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';

/** Host folders mounted read-only as they are (symbolic links such as /bin → usr/bin kept as links). */
const SYSTEM_FOLDERS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/** What of the host's /etc a sandbox sees, where it exists. */
const HOST_ETC = [
  'alternatives',
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'ssl/certs',
  'ssl/openssl.cnf',
  'pki/tls/certs',
  'pki/tls/cert.pem',
  'pki/ca-trust/extracted',
  'localtime',
  'timezone',
  'gitconfig',
  'os-release',
  'protocols',
  'services',
  'mime.types',
  'magic',
  'perl',
];

/** Toolchain folders whose names carry a version (`java-17-openjdk`, `python3.11`). */
const HOST_ETC_PATTERNS = [/^java-\d/, /^python3(\.\d+)?$/];

/** The id of `nobody`, which a sandbox's passwd names unless the sandbox runs as it. */
const NOBODY = 65534;

/** The files Lucid writes for sandboxes. */
const GENERATED = ['passwd', 'group', 'hosts', 'nsswitch.conf'] as const;

function mountArgs(source: string, target: string): string[] {
  let info;
  try {
    info = lstatSync(source);
  } catch {
    return [];
  }
  if (info.isSymbolicLink()) return ['--symlink', readlinkSync(source), target];
  return ['--ro-bind', source, target];
}

/**
 * The bubblewrap arguments that show the host's system folders, without /etc.
 *
 * @example
 * spawn('bwrap', ['--unshare-all', ...systemFolderArgs(), '--', 'true']);
 */
export function systemFolderArgs(): string[] {
  return SYSTEM_FOLDERS.flatMap((folder) => mountArgs(folder, folder));
}

/**
 * The bubblewrap arguments of a sandbox's system: the host's system folders, the chosen parts of
 * its /etc, and the files Lucid wrote into `etc` (see `writeSandboxEtc`).
 */
export function bwrapSystemArgs(etc: string): string[] {
  let names: string[] = [];
  try {
    names = readdirSync('/etc').filter((name) => HOST_ETC_PATTERNS.some((re) => re.test(name)));
  } catch {
    // no /etc to read
  }
  return [
    ...systemFolderArgs(),
    ...[...HOST_ETC, ...names].flatMap((name) => mountArgs(`/etc/${name}`, `/etc/${name}`)),
    ...GENERATED.flatMap((name) => ['--ro-bind', path.join(etc, name), `/etc/${name}`]),
    '--symlink',
    '../proc/self/mounts',
    '/etc/mtab',
  ];
}

function replaceFile(file: string, content: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, content, { mode: 0o644 });
  renameSync(temporary, file);
}

/**
 * Writes the sandbox's own /etc files into `etc`: a user and group for the server's ids (whom
 * sandboxes run as), and `hosts` naming `lucidHost` (Lucid's host name, when it has one) as the
 * sandbox's loopback.
 *
 * @example
 * writeSandboxEtc(path.join(root, '.system', 'etc'), { lucidHost: 'lucid.example.com' });
 */
export function writeSandboxEtc(etc: string, { lucidHost }: { lucidHost?: string } = {}): void {
  mkdirSync(etc, { recursive: true, mode: 0o755 });
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const users = [
    'root:x:0:0:root:/root:/bin/bash',
    ...(uid === 0 ? [] : [`sandbox:x:${uid}:${gid}:Lucid sandbox:/home/lucid:/bin/bash`]),
    ...(uid === NOBODY ? [] : [`nobody:x:${NOBODY}:${NOBODY}:nobody:/nonexistent:/bin/false`]),
  ];
  const groups = [
    'root:x:0:',
    ...(gid === 0 ? [] : [`sandbox:x:${gid}:`]),
    ...(gid === NOBODY ? [] : [`nogroup:x:${NOBODY}:`]),
  ];
  const names = ['localhost', ...(lucidHost && lucidHost !== 'localhost' ? [lucidHost] : [])];
  replaceFile(path.join(etc, 'passwd'), `${users.join('\n')}\n`);
  replaceFile(path.join(etc, 'group'), `${groups.join('\n')}\n`);
  replaceFile(path.join(etc, 'hosts'), `127.0.0.1\t${names.join(' ')}\n127.0.1.1\tsandbox\n`);
  replaceFile(
    path.join(etc, 'nsswitch.conf'),
    'passwd: files\ngroup: files\nshadow: files\nhosts: files\nnetworks: files\n' +
      'protocols: files\nservices: files\nethers: files\nrpc: files\n',
  );
}
