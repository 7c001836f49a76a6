import { describe, expect, it } from 'vitest';
import { JOIN_TOKENS_PREFIX, openJoinTokens } from '../../src/ca/join-tokens.ts';
import { createMemoryStore } from '../../src/store/memory-store.ts';
import { fakeClock, ID, recordingLogger } from './helpers.ts';

async function setup() {
  const store = createMemoryStore();
  const clock = fakeClock();
  const log = recordingLogger();
  return { store, clock, log, tokens: await openJoinTokens(store, clock, log) };
}

describe('join tokens', () => {
  it('verifies a fresh token, stores only its hash, and survives a reopen', async () => {
    const { store, clock, log, tokens } = await setup();
    const { token, record } = await tokens.create(ID, 3600_000, 'admin');
    expect(tokens.verifyJoinToken(token)).toBe(ID);
    const stored = await store.list(JOIN_TOKENS_PREFIX);
    expect(stored).toHaveLength(1);
    expect(stored[0]?.[1]).not.toContain(token.split('.')[1]);
    expect(JSON.parse(stored[0]?.[1] ?? '{}')).toMatchObject({ id: record.id, spiffeId: ID, revoked: false });
    const reopened = await openJoinTokens(store, clock, log);
    expect(reopened.verifyJoinToken(token)).toBe(ID);
    expect(tokens.list()).toEqual([record]);
  });

  it('refuses forged, expired and revoked tokens with a reason, and never logs the token', async () => {
    const { clock, log, tokens } = await setup();
    const { token, record } = await tokens.create(ID, 3600_000, 'admin');
    const forged = `${token.slice(0, -4)}AAAA`;
    expect(tokens.check(forged)).toEqual({ ok: false, reason: 'the join token is not valid (unknown or forged)' });
    expect(tokens.check('garbage')).toEqual({ ok: false, reason: 'the join token is not valid (unknown or forged)' });
    const second = await tokens.create(ID, 3600_000, 'admin');
    expect(await tokens.revoke(second.record.id)).toBe(true);
    expect(tokens.check(second.token)).toEqual({ ok: false, reason: `join token ${second.record.id} was revoked` });
    expect(await tokens.revoke('000000000000')).toBe(false);
    clock.advance(3600_000);
    expect(tokens.check(token)).toEqual({ ok: false, reason: `join token ${record.id} expired at ${record.expiresAt}` });
    expect(tokens.verifyJoinToken(token)).toBeUndefined();
    const logged = log.lines.join('\n');
    expect(logged).toMatch(/join token refused.*forged/);
    expect(logged).toMatch(/join token refused.*expired/);
    expect(logged).toMatch(/join token refused.*revoked/);
    for (const secret of [token, second.token, forged]) expect(logged).not.toContain(secret.split('.')[1] as string);
  });
});
