"""Pure business rules: no Flask, no database. Tested without create_app()."""
