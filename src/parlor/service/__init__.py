"""The REST/JSON front door: the seed's routes and the versioned /api/v1."""
