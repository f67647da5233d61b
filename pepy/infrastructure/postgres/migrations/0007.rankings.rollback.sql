DROP TABLE ranked_projects;
DROP TABLE rankings;
