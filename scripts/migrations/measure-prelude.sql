-- The dbmate-measure set's own prerequisites (its init-postgres.sh): the
-- measure schema and a search_path that finds it. Runs again after each
-- step's schema dump, so it must be safe to run twice.
CREATE SCHEMA IF NOT EXISTS measure;
DO $$ BEGIN EXECUTE format($f$ALTER DATABASE %I SET search_path TO measure, "$user", public$f$, current_database()); END $$;
