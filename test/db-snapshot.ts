import Database from 'better-sqlite3';

/** Every row of every table of a SQLite database: "changes nothing" means this string stays the same. */
export function databaseSnapshot(dbPath: string): string {
  const db = new Database(dbPath, { readonly: true });
  try {
    const tables = db.prepare("select name from sqlite_master where type = 'table' order by name").all() as Array<{ name: string }>;
    return JSON.stringify(tables.map((t) => [t.name, db.prepare(`select * from "${t.name}"`).all()]));
  } finally {
    db.close();
  }
}
