-- History a person can read, conflicts that say what changed, and a change
-- feed that never skips a change (casemgr.domain.history, sql/queries/history.sql).

-- previous_last_modified: the version of the case the entry replaced (NULL
-- when the entry created the case). With last_modified it tells whether a
-- version a client names ever existed, so a conflict can say what changed
-- since that version, or say that it cannot.
--
-- xid: the writing transaction's id (pg_current_xact_id). feed_xid: the
-- greatest xid among this entry and every earlier entry of the same case,
-- the key the change feed pages by. Every xid below a snapshot's xmin belongs
-- to a transaction that has ended, so the entries with feed_xid below it are
-- final: none can commit later, and the feed never passes one that is still
-- to come. The running maximum keeps each case's entries in the order they
-- were committed (a transaction can take its xid before it waits for the
-- case's lock, so a later change of a case may carry a smaller xid).
ALTER TABLE case_history
    ADD COLUMN previous_last_modified timestamptz,
    ADD COLUMN xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    ADD COLUMN feed_xid xid8;
ALTER TABLE case_history ALTER COLUMN xid DROP DEFAULT;

-- Entries written before this migration: all carry this migration's xid, in
-- the order of their ids.
UPDATE case_history SET feed_xid = xid;
ALTER TABLE case_history ALTER COLUMN feed_xid SET NOT NULL;

UPDATE case_history h SET previous_last_modified = p.previous
FROM (SELECT id, lag(last_modified) OVER (PARTITION BY case_id ORDER BY id) AS previous FROM case_history) p
WHERE p.id = h.id AND NOT h.changes @> '[{"field": "case"}]';

-- Entries written before this migration in the field names of the history's
-- vocabulary (casemgr.domain.history): a custom value is customAttributes.<name>
-- on eGain and caseData.<name> on Thalamus (the API tells which), lastClosed
-- is implied by the status, and comments are recorded by the ids added (found
-- by their text among the case's comments written with the entry).
UPDATE case_history h SET changes = (
    SELECT coalesce(jsonb_agg(
        CASE
            WHEN e.change->>'field' LIKE 'custom.%' THEN jsonb_set(e.change, '{field}', to_jsonb(
                CASE WHEN h.api = 'thalamus-v4' THEN 'caseData.' ELSE 'customAttributes.' END
                || substr(e.change->>'field', 8)))
            WHEN e.change->>'field' = 'comments' THEN jsonb_set(e.change, '{new}', coalesce((
                SELECT jsonb_agg(cm.id ORDER BY cm.id) FROM case_comment cm
                WHERE cm.case_id = h.case_id
                  AND cm.description IN (SELECT jsonb_array_elements_text(e.change->'new'))
                  AND cm.created_at BETWEEN h.written_at - interval '1 second' AND h.written_at + interval '5 seconds'),
                '[]'::jsonb))
            ELSE e.change
        END ORDER BY e.position), '[]'::jsonb)
    FROM jsonb_array_elements(h.changes) WITH ORDINALITY AS e(change, position)
    WHERE e.change->>'field' <> 'lastClosed')
WHERE h.changes @? '$[*] ? (@.field like_regex "^custom[.]" || @.field == "comments" || @.field == "lastClosed")';

-- Set for every entry, by every writer (an edit, a creation, a load), in one place.
CREATE FUNCTION case_history_feed_position() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.xid := pg_current_xact_id();
    -- The case's latest entry holds the running maximum: every writer of a
    -- case's history holds the case's row lock, so its entries follow that
    -- one in id order as they do in commit order.
    NEW.feed_xid := greatest(NEW.xid, (SELECT h.feed_xid FROM case_history h
                                       WHERE h.case_id = NEW.case_id ORDER BY h.id DESC LIMIT 1));
    RETURN NEW;
END
$$;

CREATE TRIGGER case_history_feed_position BEFORE INSERT ON case_history
FOR EACH ROW EXECUTE FUNCTION case_history_feed_position();

CREATE INDEX case_history_feed ON case_history (feed_xid, id);
