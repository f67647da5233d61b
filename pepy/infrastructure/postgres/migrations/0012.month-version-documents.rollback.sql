DROP TABLE documented_months;
DROP TABLE project_month_documents;
