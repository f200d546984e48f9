"""The only package that talks to DuckDB: connection, transactional import, run registry."""
