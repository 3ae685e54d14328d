import { storable, storableJson, storableString } from './storable-text.js';

describe('storable text (issue 16 item 6)', () => {
  it('removes NUL and replaces lone surrogates, keeping valid pairs', () => {
    expect(storableString('a\u0000b')).toBe('ab');
    expect(storableString('x\ud800y')).toBe('x\ufffdy');
    expect(storableString('x\udc00')).toBe('x\ufffd');
    expect(storableString('pair \ud83d\ude00 ok')).toBe('pair \ud83d\ude00 ok');
    expect(storableString('\ude00\ud83d')).toBe('\ufffd\ufffd');
  });

  it('returns the same reference when nothing changes', () => {
    const value = { a: ['x', { b: 'y' }], n: 1, d: null };
    expect(storable(value)).toBe(value);
    expect(storableJson(value)).toEqual({ value, original: null });
  });

  it('fixes nested strings and keys without touching the input; the original round-trips', () => {
    const value = { list: ['ok', 'n\u0000ul'], ['k\u0000']: { deep: '\ud800' }, n: 3 };
    const { value: fixed, original } = storableJson(value);
    expect(fixed).toEqual({ list: ['ok', 'nul'], k: { deep: '\ufffd' }, n: 3 });
    expect(value.list[1]).toBe('n\u0000ul');
    expect(JSON.parse(original as string)).toEqual(value);
    expect(original?.includes('\u0000')).toBe(false);
  });
});
