"""Reports: files written for people (tables, JSON, figures, briefings)."""
