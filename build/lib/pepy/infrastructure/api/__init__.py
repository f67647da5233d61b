"""The Flask API: thin views over the application's query handlers."""
