/** How to walk a listing that pages by key (rows after a key, in key order, at most `limit`). */
export interface KeysetPaging<T, K> {
  /** Rows per page. A shorter page is the last one. */
  readonly limit: number;
  /** One page: the rows after `after` (from the first row when undefined), in key order, at most `limit`. */
  readonly page: (after: K | undefined, limit: number) => Promise<readonly T[]>;
  /** The key of a row: the next page starts after the last row's. */
  readonly keyOf: (row: T) => K;
  /** Start after this key instead of at the first row. */
  readonly after?: K | undefined;
}

/**
 * Every row of a keyset-paged listing, one page at a time. Keyset rather than
 * offset pages: each costs an index seek however deep it is, and a row added
 * or removed meanwhile never shifts a later page (a listing of 100,000
 * accounts must not re-read or skip any).
 */
export async function* keysetPages<T, K>(paging: KeysetPaging<T, K>): AsyncGenerator<readonly T[], void, undefined> {
  let after = paging.after;
  for (;;) {
    const page = await paging.page(after, paging.limit);
    if (page.length > 0) yield page;
    const last = page.at(-1);
    if (last === undefined || page.length < paging.limit) return;
    after = paging.keyOf(last);
  }
}
