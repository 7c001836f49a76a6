/**
 * The admin token: a random bearer token created on first start. Only its SHA-256 is kept for
 * checking requests; the token itself is written once to `<dataDir>/admin.token` (mode 0600) for
 * the operator and is never logged.
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TrellisError } from '../util/errors.ts';
import { newSecret, secretDigest } from '../util/secrets.ts';

export const TOKEN_FILE = 'admin.token';
export const TOKEN_HASH_FILE = 'admin.token.sha256';
const HEX_SHA256 = /^[0-9a-f]{64}$/;

/** Lowercase hex SHA-256 of a token, the form stored and compared. */
export function hashToken(token: string): string {
  return secretDigest(token).toString('hex');
}

/**
 * First start: creates a token, writes `admin.token` (0600) then `admin.token.sha256`, and
 * returns both. Later starts: returns the stored hash and `token: undefined`. If a crash left the
 * token without its hash file, the hash is recomputed from the token file. Throws TrellisError
 * kind 'store' when the files cannot be read or written, or the hash file is corrupt.
 */
export async function ensureAdminToken(dataDir: string): Promise<{ token: string | undefined; hash: string }> {
  const tokenPath = join(dataDir, TOKEN_FILE);
  const hashPath = join(dataDir, TOKEN_HASH_FILE);
  try {
    await mkdir(dataDir, { recursive: true });
    const stored = await readOptional(hashPath);
    if (stored !== undefined) {
      const hash = stored.trim().toLowerCase();
      if (!HEX_SHA256.test(hash)) throw new TrellisError('store', `${hashPath} does not hold a SHA-256 hex digest`);
      return { token: undefined, hash };
    }
    let token = (await readOptional(tokenPath))?.trim();
    if (token === undefined || token === '') {
      token = newSecret();
      // 'w' with mode only applies the mode to new files; chmod covers an existing empty file.
      await writeFile(tokenPath, `${token}\n`, { mode: 0o600 });
      await chmod(tokenPath, 0o600);
    }
    const hash = hashToken(token);
    // Write-then-rename so a crash never leaves a half-written hash that locks everyone out.
    await writeFile(`${hashPath}.tmp`, `${hash}\n`, { mode: 0o600 });
    await rename(`${hashPath}.tmp`, hashPath);
    return { token, hash };
  } catch (error) {
    if (error instanceof TrellisError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new TrellisError('store', `admin token setup in ${dataDir} failed: ${message}`, { cause: error });
  }
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return undefined;
    throw error;
  }
}
