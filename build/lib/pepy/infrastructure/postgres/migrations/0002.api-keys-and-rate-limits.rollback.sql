DROP TABLE rate_limits;
DROP TABLE api_keys;
