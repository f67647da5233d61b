-- depends: 0005.ci-per-version

-- versions_json as the import now writes it, without spaces ({"2.31.0":120,"2.32.0":7}), so that v2 answers
-- are compact: json_object_agg wrote '{ "2.31.0" : 120, "2.32.0" : 7 }', a fifth of a heavy answer's bytes.
-- Row locks only, in a transaction of its own (after 0005's), so the previous release keeps answering.
UPDATE project_days d SET versions_json = (
    SELECT '{' || coalesce(string_agg(to_json(key)::text || ':' || value, ','), '') || '}'
    FROM json_each_text(d.versions_json::json)
)
WHERE versions_json IS NOT NULL AND versions_json LIKE '{ %';
