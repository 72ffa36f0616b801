import { sql, type Kysely, type Migration } from 'kysely';

type Dialect = 'sqlite' | 'postgres';

/** The tables whose rows make a host's desired state, and the key each row names in the feed. */
const FED = [
  { table: 'accounts', kind: 'account', key: 'id' },
  { table: 'holds', kind: 'account', key: 'account_id' },
  { table: 'groups', kind: 'group', key: 'name' },
  { table: 'resources', kind: 'resource', key: 'id' },
] as const;

/**
 * Version 12: the change feed of the desired state (issue 17, DESIGN.md §10
 * "O(changed)"). Every insert, update and delete of an account, a hold, a
 * group or a resource adds a row naming what changed, by triggers, so no
 * write path can forget to; the server derives a host's next revision from
 * its previous one plus the rows after it. Write transactions are
 * serialised (BEGIN IMMEDIATE; PostgreSQL's advisory lock), so sequence
 * order is commit order: a reader that sees a row sees every row before it.
 * Holds falling due with the clock alone are found through `holds_since`.
 */
export function desiredFeedSchema(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('desired_changes')
        .addColumn('seq', 'integer', (c) => (dialect === 'postgres' ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement()))
        .addColumn('kind', dialect === 'postgres' ? sql`text collate "C"` : 'text', (c) => c.notNull())
        .addColumn('ref', dialect === 'postgres' ? sql`text collate "C"` : 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('holds_since').on('holds').columns(['since', 'account_id']).execute();
      if (dialect === 'postgres') {
        await sql`
          create function roster_desired_feed() returns trigger language plpgsql as $$
          declare
            before_key text;
            after_key text;
          begin
            if tg_op <> 'INSERT' then before_key := to_jsonb(old) ->> tg_argv[1]; end if;
            if tg_op <> 'DELETE' then after_key := to_jsonb(new) ->> tg_argv[1]; end if;
            if before_key is not null and before_key is distinct from after_key then
              insert into desired_changes (kind, ref) values (tg_argv[0], before_key);
            end if;
            if after_key is not null then
              insert into desired_changes (kind, ref) values (tg_argv[0], after_key);
            end if;
            return null;
          end $$`.execute(db);
        for (const f of FED) {
          await sql.raw(`create trigger ${f.table}_desired_feed after insert or update or delete on ${f.table} for each row execute function roster_desired_feed('${f.kind}', '${f.key}')`).execute(db);
        }
        return;
      }
      for (const f of FED) {
        await sql.raw(`create trigger ${f.table}_desired_feed_insert after insert on ${f.table} begin insert into desired_changes (kind, ref) values ('${f.kind}', new.${f.key}); end`).execute(db);
        await sql.raw(`create trigger ${f.table}_desired_feed_update after update on ${f.table} begin
          insert into desired_changes (kind, ref) select '${f.kind}', old.${f.key} where old.${f.key} is not new.${f.key};
          insert into desired_changes (kind, ref) values ('${f.kind}', new.${f.key});
        end`).execute(db);
        await sql.raw(`create trigger ${f.table}_desired_feed_delete after delete on ${f.table} begin insert into desired_changes (kind, ref) values ('${f.kind}', old.${f.key}); end`).execute(db);
      }
    },
  };
}
