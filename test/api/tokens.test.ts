import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureAdminToken, hashToken } from '../../src/api/tokens.ts';
import { TrellisError } from '../../src/util/errors.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'trellis-token-'));
  dirs.push(dir);
  return join(dir, 'data');
}

describe('ensureAdminToken', () => {
  it('creates a random token with mode 0600 and stores its sha256 on first start', async () => {
    const dir = await dataDir();
    const { token, hash } = await ensureAdminToken(dir);
    expect(token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(hash).toBe(createHash('sha256').update(token ?? '').digest('hex'));
    expect(hashToken(token ?? '')).toBe(hash);
    expect((await readFile(join(dir, 'admin.token'), 'utf8')).trim()).toBe(token);
    expect((await stat(join(dir, 'admin.token'))).mode & 0o777).toBe(0o600);
    expect((await readFile(join(dir, 'admin.token.sha256'), 'utf8')).trim()).toBe(hash);
  });

  it('later starts return the stored hash and no token', async () => {
    const dir = await dataDir();
    const first = await ensureAdminToken(dir);
    const second = await ensureAdminToken(dir);
    expect(second).toEqual({ token: undefined, hash: first.hash });
  });

  it('two data dirs get different tokens', async () => {
    const a = await ensureAdminToken(await dataDir());
    const b = await ensureAdminToken(await dataDir());
    expect(a.token).not.toBe(b.token);
  });

  it('recomputes the hash from an existing token file when the hash file is missing', async () => {
    const dir = await dataDir();
    const first = await ensureAdminToken(dir);
    await unlink(join(dir, 'admin.token.sha256'));
    const again = await ensureAdminToken(dir);
    expect(again).toEqual({ token: first.token, hash: first.hash });
  });

  it('a corrupt hash file is a store error', async () => {
    const dir = await dataDir();
    await ensureAdminToken(dir);
    await writeFile(join(dir, 'admin.token.sha256'), 'not a hash');
    const error = await ensureAdminToken(dir).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(TrellisError);
    expect((error as TrellisError).kind).toBe('store');
  });
});
