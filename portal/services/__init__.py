"""Use cases: database session + domain rules + adapters. Called by routes and jobs."""
