import { readFile } from 'node:fs/promises';
import type { FileOwner } from './atomic.ts';

/** uid and primary gid of a local user, from the passwd database file (no native getpwnam in Node). */
export async function lookupUser(name: string, passwdFile = '/etc/passwd'): Promise<FileOwner | undefined> {
  const text = await readFile(passwdFile, 'utf8');
  for (const line of text.split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined && /^\d+$/.test(uid) && /^\d+$/.test(gid)) {
      return { uid: Number(uid), gid: Number(gid) };
    }
  }
  return undefined;
}
