package migrations

// A code migration: rehearse skips it with a note.
