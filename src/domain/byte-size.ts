/** Bytes for people, in powers of 1024 (as du -h and quota tools count): `512 B`, `1.5 KiB`, `3.2 GiB`. */
export function byteSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let n = bytes;
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${n.toFixed(1)} ${units[u] ?? 'B'}`;
}
