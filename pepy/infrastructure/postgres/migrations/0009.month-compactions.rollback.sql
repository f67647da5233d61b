DROP TABLE month_compactions;
