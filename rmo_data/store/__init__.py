"""The store: engine, schema, migrations and every SQL statement the app runs."""
