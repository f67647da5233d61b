-- Compact documents are the same JSON: the previous release reads them as they are.
SELECT 1;
