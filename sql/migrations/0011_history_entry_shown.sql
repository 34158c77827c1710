-- The history entries that name a field, by case: a reader who sees every
-- field counts a case's entries from this index alone. Entries written by
-- edits that changed nothing (before such edits stopped making a version)
-- name none and show nobody anything; they stay stored, so the versions
-- they record stay known to a conflict's explanation.
CREATE INDEX case_history_named ON case_history (case_id, id) WHERE changes <> '[]'::jsonb;
