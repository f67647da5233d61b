-- depends: 0010.project-recent-days

-- Each project's non-mirror downloads per category of pypistats.org's three breakdowns on a day, kept beside the
-- day's totals as JSON text: {"python_major": [["3", 120], [null, 4]], "python_minor": [...], "system": [...]},
-- each breakdown's categories in the order the API gives them (nulls last), only those with downloads. pypistats'
-- python_major, python_minor and system answers are these documents over 180 days, read from the few monthly
-- partitions of project_days, instead of one index probe per day partition of category_downloads, each planned.
-- The import writes it with the day; retention clears it with the day's category partition.
ALTER TABLE project_days ADD COLUMN categories_json text;

-- The days stored before: from their category rows. Row locks only, so the previous release keeps answering.
SET LOCAL work_mem = '256MB';
UPDATE project_days d SET categories_json = c.categories_json
FROM (
    SELECT project_id, day, '{' || string_agg(to_json(breakdown::text)::text || ':' || pairs, ',' ORDER BY breakdown) || '}'
           AS categories_json
    FROM (
        SELECT project_id, day, breakdown,
               '[' || string_agg('[' || coalesce(to_json(category)::text, 'null') || ',' || non_mirror_downloads || ']',
                                 ',' ORDER BY category NULLS LAST) || ']' AS pairs
        FROM category_downloads
        WHERE breakdown IN ('python_major', 'python_minor', 'system') AND non_mirror_downloads > 0
        GROUP BY project_id, day, breakdown
    ) b
    GROUP BY project_id, day
) c
WHERE d.project_id = c.project_id AND d.day = c.day;

-- The update wrote each row's new version wherever the heap had room: the months are no longer in project order,
-- and the next import runs rewrite them (migration 0009).
DELETE FROM month_compactions;
