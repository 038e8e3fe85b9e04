"""ctd catalogue: the core of the service (organisations, committees, territories,
datasets, resources, search, users and tokens, the database)."""
