-- The change feed's horizon, per database (sql/queries/history.sql).
--
-- The feed hands out the changes whose feed position lies below its horizon:
-- every transaction below it has ended, so no change can still commit there.
-- The horizon was the xmin of the reading snapshot. Transaction ids are
-- shared by every database of a Postgres server, so that xmin is held back
-- by a transaction of any database: one long write in another database of
-- the same server (a batch job, a migration, another application) stalled
-- every follower of this feed, and every webhook, for as long as it ran.
--
-- The horizon is now the oldest transaction still running in the reading
-- snapshot (passed in: the caller's statement snapshot, which the changes
-- were read in) that may belong to this database; a running transaction is
-- left out only when pg_stat_activity (or pg_prepared_xacts) shows it
-- running in another database. One that ended since the snapshot was taken
-- cannot be placed and still counts: its changes are invisible to the
-- snapshot, so the horizon must stay below them. pg_stat_activity shows
-- 32-bit xids, the snapshot 64-bit ones: running transactions lie within
-- 2^31 of each other, so their low 32 bits name them. With none running,
-- the horizon is the snapshot's xmax, as the xmin was.
CREATE FUNCTION case_feed_horizon(snapshot pg_snapshot) RETURNS xid8 LANGUAGE sql STABLE AS $$
    WITH elsewhere AS (
        SELECT backend_xid::text::bigint AS xid32 FROM pg_stat_activity
        WHERE backend_xid IS NOT NULL AND datname IS DISTINCT FROM current_database()
        UNION ALL
        SELECT transaction::text::bigint FROM pg_prepared_xacts WHERE database <> current_database()
    )
    SELECT coalesce(
        (SELECT x FROM pg_snapshot_xip(snapshot) AS x
         WHERE x::text::bigint % 4294967296 NOT IN (SELECT xid32 FROM elsewhere)
         ORDER BY x LIMIT 1),
        pg_snapshot_xmax(snapshot))
$$;
