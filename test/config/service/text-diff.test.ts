import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../../src/config/service/text-diff.ts';

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff('x', 'a\nb\n', 'a\nb\n')).toBe('');
  });

  it('shows one changed line with its context and correct ranges', () => {
    const before = ['1', '2', '3', '4', '5', '6', '7', '8', '9'].join('\n');
    const after = before.replace('5', 'five');
    expect(unifiedDiff('f', before, after)).toBe(['--- a/f', '+++ b/f', '@@ -2,7 +2,7 @@', ' 2', ' 3', ' 4', '-5', '+five', ' 6', ' 7', ' 8'].join('\n'));
  });

  it('splits far-apart changes into hunks and handles additions from empty', () => {
    const lines = Array.from({ length: 20 }, (_, i) => `l${i + 1}`);
    const changed = lines.map((l) => (l === 'l2' || l === 'l18' ? `${l}x` : l));
    const diff = unifiedDiff('f', lines.join('\n'), changed.join('\n'));
    expect(diff.match(/^@@/gm)?.length).toBe(2);
    expect(diff).toContain('@@ -1,5 +1,5 @@');
    expect(diff).toContain('@@ -15,6 +15,6 @@');
    expect(unifiedDiff('n', '', 'a\nb\n')).toBe(['--- a/n', '+++ b/n', '@@ -0,0 +1,2 @@', '+a', '+b'].join('\n'));
  });
});
