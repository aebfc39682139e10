/**
 * An encrypted store for what a delegated sign-in must keep between restarts (above all the refresh token), outside
 * the flow file: one file per account in a directory of its own, AES-256-GCM with a key derived by scrypt from a
 * secret (Node-RED's credentialSecret), bound to the account id so a file copied to another id does not decrypt.
 * Node-RED encrypts credentials with aes-256-ctr and a SHA-256 of the same secret; this is at least as strong.
 * Writes are atomic (temporary file, then rename) and in order per account. Plain module: no Node-RED import.
 */
import * as crypto from 'crypto';
import * as fsSync from 'fs';
import { promises as fs } from 'fs';
import * as path from 'path';
import { ErrorCodes } from './error-codes';
import { ConfigError } from './errors';

const FORMAT = 'o365-token-store/1';
/** scrypt cost: 16 MiB and some 50 ms per derivation; each key is derived once per file salt and cached. */
const SCRYPT = { N: 1 << 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const LOCAL_KEY_FILE = '.key';

export interface TokenStoreOptions {
  /** Where the files live (created with mode 0700 on first write). */
  directory: string;
  /**
   * Secrets to derive keys from: the first encrypts; every one is tried when decrypting, so a store written under an
   * earlier secret (Node-RED's generated `_credentialSecret` before `credentialSecret` was set) stays readable. A
   * function is asked on first use (so nothing is created on disk for a runtime that never signs anyone in).
   */
  secrets: string[] | (() => string[]);
}

interface SealedFile {
  format: string;
  salt: string;
  iv: string;
  tag: string;
  data: string;
}

/** Reads, writes and removes encrypted JSON values by account id. */
export class TokenStore {
  private readonly directory: string;
  private readonly secretSource: TokenStoreOptions['secrets'];
  private secretList: string[] | undefined;
  private readonly keys = new Map<string, Buffer>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private salt: Buffer | undefined;

  constructor(options: TokenStoreOptions) {
    this.directory = options.directory;
    this.secretSource = options.secrets;
  }

  /** The secrets, asked for once. */
  private get secrets(): string[] {
    if (!this.secretList) {
      const given = typeof this.secretSource === 'function' ? this.secretSource() : this.secretSource;
      const secrets = given.filter((s) => typeof s === 'string' && s.length > 0);
      if (secrets.length === 0) {
        throw new ConfigError('The token store needs a secret to encrypt with', {
          code: ErrorCodes.tokenStoreUnreadable,
        });
      }
      this.secretList = secrets;
    }
    return this.secretList;
  }

  /** The stored value of an account, or undefined when there is none. Throws when it exists but cannot be read. */
  read<T>(id: string): Promise<T | undefined> {
    return this.inOrder(id, () => this.readNow<T>(id));
  }

  /** Replaces the stored value of an account. */
  write(id: string, value: unknown): Promise<void> {
    return this.inOrder(id, () => this.writeNow(id, value));
  }

  /**
   * Reads, changes and writes an account's value as one step (no other operation of the account in between);
   * `change` answers the value to write, or the value it was given to leave the file alone.
   */
  update<T>(id: string, change: (current: T | undefined) => T | undefined): Promise<void> {
    return this.inOrder(id, async () => {
      const current = await this.readNow<T>(id);
      const next = change(current);
      if (next !== undefined && next !== current) await this.writeNow(id, next);
    });
  }

  /** Removes the stored value of an account (no error when there is none). */
  remove(id: string): Promise<void> {
    return this.inOrder(id, () => fs.rm(this.fileOf(id), { force: true }));
  }

  private async readNow<T>(id: string): Promise<T | undefined> {
    let raw: string;
    try {
      raw = await fs.readFile(this.fileOf(id), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw unreadable(`cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    let sealed: SealedFile;
    try {
      sealed = JSON.parse(raw) as SealedFile;
    } catch {
      throw unreadable('is damaged');
    }
    if (sealed?.format !== FORMAT) throw unreadable('has an unknown format');
    for (const secret of this.secrets) {
      const plain = this.open(sealed, secret, id);
      if (plain !== undefined) {
        try {
          return JSON.parse(plain) as T;
        } catch {
          throw unreadable('is damaged');
        }
      }
    }
    throw unreadable('was encrypted with another credentialSecret');
  }

  private async writeNow(id: string, value: unknown): Promise<void> {
    await fs.mkdir(this.directory, { recursive: true, mode: 0o700 });
    // One salt (so one scrypt derivation) per store instance; every write gets a fresh IV.
    this.salt ??= crypto.randomBytes(16);
    const salt = this.salt;
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.keyFor(this.secrets[0], salt), iv);
    cipher.setAAD(aadOf(id));
    const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    const sealed: SealedFile = {
      format: FORMAT,
      salt: salt.toString('base64'),
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
    };
    const file = this.fileOf(id);
    const temporary = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
    try {
      await fs.writeFile(temporary, JSON.stringify(sealed), { mode: 0o600 });
      await fs.rename(temporary, file);
    } finally {
      await fs.rm(temporary, { force: true });
    }
  }

  private open(sealed: SealedFile, secret: string, id: string): string | undefined {
    try {
      const decipher = crypto.createDecipheriv(
        'aes-256-gcm',
        this.keyFor(secret, Buffer.from(sealed.salt, 'base64')),
        Buffer.from(sealed.iv, 'base64'),
      );
      decipher.setAAD(aadOf(id));
      decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      return undefined;
    }
  }

  private keyFor(secret: string, salt: Buffer): Buffer {
    const cacheKey = `${crypto.createHash('sha256').update(secret).digest('hex')}:${salt.toString('hex')}`;
    let key = this.keys.get(cacheKey);
    if (!key) {
      key = crypto.scryptSync(secret, salt, 32, SCRYPT);
      if (this.keys.size > 64) this.keys.clear();
      this.keys.set(cacheKey, key);
    }
    return key;
  }

  private fileOf(id: string): string {
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(id) || id.startsWith('.')) {
      throw new ConfigError(`"${id.slice(0, 40)}" cannot name a stored sign-in`, { property: 'id' });
    }
    return path.join(this.directory, `${id}.json`);
  }

  /** Runs store operations of one account one after the other, so the newest write always wins. */
  private inOrder<T>(id: string, operation: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(id) ?? Promise.resolve();
    const next = previous.then(operation, operation);
    const settled = next.catch(() => undefined);
    this.queues.set(id, settled);
    void settled.then(() => {
      if (this.queues.get(id) === settled) this.queues.delete(id);
    });
    return next;
  }
}

/**
 * A random key kept in the store's directory (mode 0600), for runtimes without any credentialSecret (Node-RED then
 * stores credentials unencrypted): created on first use. Synchronous: it runs once, while the nodes are registered.
 */
export function localKey(directory: string): string {
  const file = path.join(directory, LOCAL_KEY_FILE);
  try {
    return fsSync.readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fsSync.mkdirSync(directory, { recursive: true, mode: 0o700 });
  const key = crypto.randomBytes(32).toString('base64');
  try {
    fsSync.writeFileSync(file, key, { mode: 0o600, flag: 'wx' });
    return key;
  } catch (err) {
    // Another process created it at the same moment: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return fsSync.readFileSync(file, 'utf8').trim();
    throw err;
  }
}

function aadOf(id: string): Buffer {
  return Buffer.from(`${FORMAT}|${id}`, 'utf8');
}

function unreadable(why: string): ConfigError {
  return new ConfigError(`The stored sign-in ${why}; sign in again`, {
    code: ErrorCodes.tokenStoreUnreadable,
  });
}
